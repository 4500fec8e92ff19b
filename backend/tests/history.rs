//! The history stream on the wire: frames carry the events since the
//! previous frame, a joining viewer's snapshot the recent ones, and a
//! `past` answer a window around its moment — against a real server.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

/// The events of a message's `frame.history` (snapshot, frame or past).
fn events(msg: &Value) -> Vec<Value> {
    let f = if msg["type"] == "past" { &msg["frame"] } else { frame(msg) };
    f["history"]["events"].as_array().cloned().unwrap_or_default()
}

fn pushes_from<'a>(events: &'a [Value], region: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["e"] == "msg" && e["l"] == "like" && e["f"] == region).collect()
}

#[tokio::test]
async fn frames_carry_each_message_once_and_seek_answers_a_window() {
    let server = Server::start().await;
    let (mut a, _) = server.join("history").await;
    like(&mut a, "tokyo").await;
    // Collect every frame's events until every region shows the like.
    let mut seen = Vec::new();
    let mut next: Option<u64> = None;
    let last = wait_for(&mut a, SOON, |m| {
        if is_frame(m) {
            if let Some(first) = m["history"]["first"].as_u64() {
                assert!(next.is_none_or(|n| n == first), "no gap, no repeat: expected {next:?}, got {first}");
                next = Some(first + m["history"]["events"].as_array().map_or(0, |e| e.len() as u64));
            }
            seen.extend(events(m));
        }
        is_frame(m) && all_at(m, 1)
    })
    .await;
    let pushes = pushes_from(&seen, "tokyo");
    assert_eq!(pushes.len(), 5, "one push to each other region, each once: {pushes:?}");
    assert!(pushes.iter().all(|p| p["a"].as_u64() > p["s"].as_u64() && p["m"] == true));
    let liked_at = seen.iter().find(|e| e["e"] == "like").map(|e| e["at"].clone()).expect("the like is in the stream");
    let counts = seen.iter().rev().find(|e| e["e"] == "counts").expect("counts recorded");
    assert_eq!(counts["v"], serde_json::json!([1, 1, 1, 1, 1, 1]));
    assert_eq!(counts["truth"], 1);

    // A viewer who joins now sees the recent past in its snapshot.
    let (_, snap) = server.join("history").await;
    assert_eq!(pushes_from(&events(&snap), "tokyo").len(), 5, "the snapshot has the recent events");

    // Seeking to just after the like answers the window around it: the
    // like and its five pushes, sent then, landing after the moment.
    let at = liked_at.as_u64().unwrap_or(0) + 10;
    send(&mut a, &format!(r#"{{"type":"seek","at_ms":{at}}}"#)).await;
    let past = wait_for(&mut a, SOON, |m| m["type"] == "past").await;
    assert_eq!(past["frame"]["sim"]["now_ms"], at);
    let window = events(&past);
    assert!(window.iter().any(|e| e["e"] == "like" && e["at"] == liked_at), "{window:?}");
    assert_eq!(pushes_from(&window, "tokyo").len(), 5);
    let h = &past["frame"]["history"];
    assert!(h["from_ms"].as_u64() <= Some(at) && h["to_ms"].as_u64() >= Some(at), "{h}");
    assert!(h["to_ms"].as_u64() <= frame(&last)["sim"]["now_ms"].as_u64().map(|n| n + 1000));
}

/// Past 300 viewers a room is a crowd: each frame and each joiner's snapshot
/// carries at most 16 events (what does not fit is counted as skipped), so a
/// crowd's messages, and the write buffer each socket keeps at the size of
/// the largest one, stay small. The stream still has no gap: the next
/// frame's chunk starts where the snapshot's ends.
#[tokio::test]
async fn a_crowd_gets_few_events_per_message_and_no_gap() {
    const CROWD: usize = 301;
    const CROWDED_EVENTS: usize = 16;
    let server = Server::start_with(|c| c.per_address.max_connections = 1_000).await;
    let (mut liker, _) = server.join("crowd").await;
    // Viewers that only hold their sockets open; the room's frames fit in
    // the loopback socket buffers for the few seconds this test runs.
    let mut crowd = Vec::with_capacity(CROWD);
    for _ in 0..CROWD {
        crowd.push(server.join("crowd").await.0);
    }
    // Many likes at once: far more events (likes, pushes, counts) than 16.
    for region in ["tokyo", "virginia", "frankfurt", "mumbai", "sydney", "saopaulo"] {
        for _ in 0..6 {
            like(&mut liker, region).await;
        }
    }
    let mut skipped = 0;
    wait_for(&mut liker, SOON, |m| {
        if is_frame(m) {
            let n = events(m).len();
            assert!(n <= CROWDED_EVENTS, "a crowd's frame carries at most {CROWDED_EVENTS} events, got {n}");
            skipped += m["history"]["skipped"].as_u64().unwrap_or(0);
        }
        is_frame(m) && all_at(m, 36)
    })
    .await;
    assert!(skipped > 0, "36 likes make more events than fit: some are reported as skipped");

    let (mut joiner, snap) = server.join("crowd").await;
    let recent = events(&snap);
    assert!(!recent.is_empty() && recent.len() <= CROWDED_EVENTS, "the snapshot: {} events", recent.len());
    let next = snap["frame"]["history"]["first"].as_u64().unwrap() + recent.len() as u64;
    like(&mut liker, "tokyo").await;
    let after = wait_for(&mut joiner, SOON, |m| is_frame(m) && !events(m).is_empty()).await;
    assert_eq!(after["history"]["first"].as_u64(), Some(next), "the stream continues where the snapshot ended");
    drop(crowd);
}
