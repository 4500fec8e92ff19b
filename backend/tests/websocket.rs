//! End-to-end tests of the WebSocket protocol against a real server.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};

const SOON: Duration = Duration::from_secs(5);

/// Between keyframes the server sends deltas; a client that applies them
/// to the frame it holds (as `next_json` does) never meets a gap, and the
/// frame it rebuilds is exactly the one a newcomer is sent whole.
#[tokio::test]
async fn deltas_between_keyframes_rebuild_the_room_without_gaps() {
    let server = Server::start().await;
    let (mut a, _) = server.join("deltas").await;
    for region in ["tokyo", "sydney", "mumbai", "tokyo", "virginia"] {
        like(&mut a, region).await;
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    let seen = wait_for(&mut a, SOON, |m| is_frame(m) && all_at(m, 5) && settled(m)).await;
    assert!(a.deltas > 5, "frames came as deltas: {a:?}");
    assert_eq!(a.gaps, 0, "no delta skipped a frame: {a:?}");
    assert_eq!(truth(&seen), 5);
    // A newcomer's first frame after its snapshot is whole; the same frame
    // reaches A as a delta (or whole, if it is a keyframe).
    let (mut b, _) = server.join("deltas").await;
    let whole = wait_for(&mut b, SOON, is_frame).await;
    let seq = whole["seq"].as_u64().unwrap();
    let rebuilt = wait_for(&mut a, SOON, |m| is_frame(m) && m["seq"].as_u64() >= Some(seq)).await;
    assert_eq!(rebuilt, whole, "frame {seq} rebuilt from deltas equals the frame sent whole");
    assert_eq!(a.gaps, 0, "{a:?}");
}

#[tokio::test]
async fn two_clients_in_one_room_see_each_others_likes() {
    let server = Server::start().await;
    let (mut a, snap_a) = server.join("duo").await;
    assert_eq!(snap_a["protocol"], shared::protocol::PROTOCOL_VERSION);
    assert_eq!(snap_a["room"], "duo");
    assert_eq!(snap_a["public"], false);
    assert_eq!(snap_a["regions"].as_array().unwrap().len(), 6);
    let (mut b, snap_b) = server.join("duo").await;
    assert_eq!(viewers(&snap_b), 2);

    like(&mut a, "tokyo").await;
    // B sees A's like: first in Tokyo, then everywhere.
    let seen = wait_for(&mut b, SOON, |m| is_frame(m) && count(m, "tokyo") == 1).await;
    assert_eq!(truth(&seen), 1);
    wait_for(&mut b, SOON, |m| is_frame(m) && all_at(m, 1)).await;

    like(&mut b, "frankfurt").await;
    let seen = wait_for(&mut a, SOON, |m| is_frame(m) && all_at(m, 2) && settled(m)).await;
    assert_eq!(truth(&seen), 2);
    assert_eq!(frame(&seen)["sim"]["truth"]["per_region"], serde_json::json!([1, 0, 0, 1, 0, 0]));
    assert_eq!(status(&seen), "settled");
    assert_eq!(frame(&seen)["sim"]["consistency"]["correct"], true, "{seen}");
}

#[tokio::test]
async fn a_like_shows_in_its_region_before_the_others() {
    // Real demo delays here: the far regions must visibly lag.
    let server = Server::start_with(|c| c.rooms.time_scale = 1.0).await;
    let (mut a, _) = server.join("lag").await;
    like(&mut a, "sydney").await;
    let first = wait_for(&mut a, SOON, |m| is_frame(m) && count(m, "sydney") == 1).await;
    assert_eq!(count(&first, "saopaulo"), 0, "São Paulo cannot know yet: {first}");
    assert_eq!(status(&first), "settling");
    // Not judged while the like travels: no loss, not even zero.
    assert!(frame(&first)["sim"]["verdict"]["lost"].is_null(), "{first}");
    assert!(frame(&first)["sim"]["in_flight"].as_u64().unwrap() >= 5);
    let done = wait_for(&mut a, SOON, |m| is_frame(m) && all_at(m, 1) && settled(m)).await;
    let took = frame(&done)["sim"]["consistency"]["took_ms"].as_u64().unwrap();
    assert!((300..5_000).contains(&took), "settled in {took} ms");
    // The header's time and the verdict's are one figure.
    assert_eq!(frame(&done)["sim"]["verdict"]["timing"]["measured_ms"], took, "{done}");
    assert_eq!(frame(&done)["sim"]["verdict"]["lost"], 0, "{done}");
}

#[tokio::test]
async fn rooms_do_not_leak_into_each_other() {
    let server = Server::start().await;
    let (mut x, _) = server.join("room-x").await;
    let (mut y, snap) = server.join("room-y").await;
    assert_eq!(viewers(&snap), 1);
    for _ in 0..3 {
        like(&mut x, "mumbai").await;
    }
    wait_for(&mut x, SOON, |m| is_frame(m) && all_at(m, 3)).await;
    // Y only ever sees its own room: no likes, one viewer.
    let (mut y2, snap2) = server.join("room-y").await;
    assert_eq!(truth(&snap2), 0);
    let latest = wait_for(&mut y, SOON, |m| is_frame(m) && viewers(m) == 2).await;
    assert_eq!(truth(&latest), 0);
    like(&mut y2, "virginia").await;
    let y_frame = wait_for(&mut y, SOON, |m| is_frame(m) && truth(m) == 1).await;
    assert_eq!(count(&y_frame, "mumbai"), 0);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_nothing_breaks() {
    let server = Server::start().await;
    let (mut a, _) = server.join("errors").await;
    let (mut b, _) = server.join("errors").await;

    let cases: [(Message, &str); 5] = [
        (Message::text("this is not json"), "bad_message"),
        (Message::text(r#"{"type":"launch_missiles"}"#), "bad_message"),
        (Message::text(r#"{"type":"like","region":"atlantis"}"#), "unknown_region"),
        (Message::text(format!(r#"{{"type":"like","region":"{}"}}"#, "x".repeat(10_000))), "too_large"),
        (Message::binary(vec![0u8, 159, 146, 150]), "binary_frame"),
    ];
    for (msg, code) in cases {
        a.send(msg).await.unwrap();
        let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
        assert_eq!(err["code"], code, "{err}");
        assert!(err["message"].as_str().is_some_and(|s| s.len() > 10), "a sentence for people: {err}");
    }
    // The connection and the room still work, for both clients.
    like(&mut a, "tokyo").await;
    wait_for(&mut a, SOON, |m| is_frame(m) && truth(m) == 1).await;
    wait_for(&mut b, SOON, |m| is_frame(m) && truth(m) == 1).await;
    like(&mut b, "tokyo").await;
    wait_for(&mut a, SOON, |m| is_frame(m) && truth(m) == 2).await;
}

#[tokio::test]
async fn a_message_beyond_the_socket_limit_closes_only_that_connection() {
    let server = Server::start().await;
    let (mut a, _) = server.join("huge").await;
    let (mut b, _) = server.join("huge").await;
    let huge = "y".repeat(backend::app::MAX_WS_MESSAGE_BYTES + 1);
    let _ = a.send(Message::text(huge)).await;
    if let Some((code, _)) = closed_with(&mut a, SOON).await {
        assert_eq!(code, 1009, "message too big");
    }
    alone_after_a_like(&mut b, SOON).await;
}

#[tokio::test]
async fn floods_are_rate_limited_and_every_like_is_accounted_for() {
    let server = Server::start().await;
    let (mut a, _) = server.join("flood").await;
    const SENT: u64 = 200;
    for _ in 0..SENT {
        like(&mut a, "virginia").await;
    }
    // Every like is either counted or explicitly refused: nothing vanishes.
    let mut refused = 0;
    let deadline = tokio::time::Instant::now() + SOON;
    let mut counted = 0;
    while tokio::time::Instant::now() < deadline {
        let msg = next_json(&mut a).await;
        if msg["type"] == "error" {
            assert_eq!(msg["code"], "rate_limited", "{msg}");
            refused += msg["count"].as_u64().unwrap_or(1);
        } else {
            counted = truth(&msg);
        }
        if counted + refused == SENT {
            break;
        }
    }
    assert!(refused > 0, "a flood must be limited");
    assert!(counted >= 40, "the burst allowance is honoured: {counted}");
    assert_eq!(counted + refused, SENT, "counted {counted} + refused {refused}");
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_stall_the_others() {
    let server = Server::start_with(|c| c.limits.send_timeout = Duration::from_millis(500)).await;
    // The sloth joins and then never reads a byte.
    let (_sloth, _) = server.join("sloth").await;
    let (mut liker, _) = server.join("sloth").await;
    let (mut watcher, _) = server.join("sloth").await;
    let start = tokio::time::Instant::now();
    let mut last_frame = start;
    let mut worst_gap = Duration::ZERO;
    let mut sent = 0;
    while start.elapsed() < Duration::from_secs(3) {
        if sent < 40 {
            like(&mut liker, "frankfurt").await;
            sent += 1;
        }
        let msg = tokio::time::timeout(Duration::from_secs(2), next_json(&mut watcher)).await.expect("watcher starved");
        if is_frame(&msg) {
            let now = tokio::time::Instant::now();
            worst_gap = worst_gap.max(now - last_frame);
            last_frame = now;
        }
    }
    assert!(worst_gap < Duration::from_secs(1), "frames stalled for {worst_gap:?}");
    let done = wait_for(&mut watcher, SOON, |m| is_frame(m) && all_at(m, 40)).await;
    assert_eq!(truth(&done), 40);
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn presence_counts_people_in_the_room() {
    let server = Server::start().await;
    let (mut a, snap) = server.join("presence").await;
    assert_eq!(viewers(&snap), 1);
    let (b, _) = server.join("presence").await;
    wait_for(&mut a, SOON, |m| is_frame(m) && viewers(m) == 2).await;
    drop(b);
    wait_for(&mut a, SOON, |m| is_frame(m) && viewers(m) == 1).await;
}

#[tokio::test]
async fn reconnecting_gets_a_snapshot_with_everything_so_far() {
    let server = Server::start().await;
    let (mut a, _) = server.join("resync").await;
    like(&mut a, "saopaulo").await;
    like(&mut a, "tokyo").await;
    wait_for(&mut a, SOON, |m| is_frame(m) && all_at(m, 2)).await;
    a.close(None).await.unwrap();
    let (_a2, snap) = server.join("resync").await;
    assert_eq!(truth(&snap), 2);
    assert!(all_at(&snap, 2), "{snap}");
}

#[tokio::test]
async fn idle_rooms_expire_and_come_back_fresh() {
    let server = Server::start_with(|c| c.rooms.idle_ttl = Duration::from_millis(300)).await;
    let (mut a, _) = server.join("fleeting").await;
    like(&mut a, "tokyo").await;
    wait_for(&mut a, SOON, |m| is_frame(m) && truth(m) == 1).await;
    drop(a);
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        let (_, body) = server.get("/healthz").await;
        if body.contains(r#""rooms":0"#) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "room never expired: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_b, snap) = server.join("fleeting").await;
    assert_eq!(truth(&snap), 0, "a fresh room");
}

#[tokio::test]
async fn invalid_room_ids_get_http_400() {
    let server = Server::start().await;
    for path in ["/ws/bad%20id", "/ws/dot.dot", &format!("/ws/{}", "a".repeat(65))] {
        let url = format!("ws://{}{path}", server.addr);
        match tokio_tungstenite::connect_async(url).await {
            Err(tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 400, "{path}");
                let body = String::from_utf8(resp.body().clone().unwrap_or_default()).unwrap();
                assert!(body.contains("invalid room id"), "{path}: {body}");
            }
            other => panic!("{path}: expected HTTP 400, got {other:?}"),
        }
    }
    let (status, body) = server.get("/r/no.dots").await;
    assert_eq!((status, body.contains("invalid room id")), (400, true));
}

#[tokio::test]
async fn pages_assets_and_health() {
    let server = Server::start().await;
    for path in ["/", "/r/some-private_room"] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("Likewise test"), "{path}: {body}");
    }
    assert_eq!(server.get("/app.css").await.0, 200);
    assert_eq!(server.get("/nope.js").await.0, 404);
    let (status, body) = server.get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"ok""#), "{body}");
}

#[tokio::test]
async fn the_public_room_is_shared_and_marked_public() {
    let server = Server::start().await;
    let (mut a, snap) = server.join("public").await;
    assert_eq!(snap["public"], true);
    let (_b, snap_b) = server.join("public").await;
    assert_eq!(viewers(&snap_b), 2);
    wait_for(&mut a, SOON, |m| is_frame(m) && viewers(m) == 2).await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let mut server = Server::start().await;
    let (mut a, _) = server.join("bye").await;
    server.stop();
    let code = tokio::time::timeout(SOON, async {
        loop {
            match a.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return Some(u16::from(frame.code)),
                None | Some(Err(_)) | Some(Ok(Message::Close(None))) => return None,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("socket not closed on shutdown");
    assert_eq!(code, Some(1001));
    let done = server.done.take().unwrap();
    tokio::time::timeout(SOON, done).await.expect("server did not stop").unwrap().unwrap();
}

#[tokio::test]
async fn controls_switch_strategy_and_inject_faults_in_a_private_room() {
    let server = Server::start().await;
    let (mut a, snap) = server.join("lab").await;
    let kinds: Vec<_> =
        snap["strategies"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["event_push", "background_sync", "queue_batch", "last_writer_wins", "single_writer"]);
    let (mut b, _) = server.join("lab").await;

    // A switches the strategy; B sees it.
    send(&mut a, r#"{"type":"set_strategy","config":{"kind":"last_writer_wins","resend_ms":null}}"#).await;
    wait_for(&mut b, SOON, |m| is_frame(m) && frame(m)["sim"]["strategy"] == "last_writer_wins").await;

    // Back to event push, then cut Virginia off: a like in Tokyo reaches
    // everyone but Virginia until the heal.
    send(&mut a, r#"{"type":"set_strategy","config":{"kind":"event_push","anti_entropy_ms":1000}}"#).await;
    wait_for(&mut b, SOON, |m| is_frame(m) && frame(m)["sim"]["strategy"] == "event_push").await;
    send(&mut a, r#"{"type":"isolate","region":"virginia"}"#).await;
    // Give the isolation a frame to land before liking.
    tokio::time::sleep(Duration::from_millis(100)).await;
    like(&mut a, "tokyo").await;
    let others =
        |m: &serde_json::Value| ["tokyo", "sydney", "mumbai", "frankfurt", "saopaulo"].iter().all(|r| count(m, r) == 1);
    let split = wait_for(&mut b, SOON, |m| is_frame(m) && others(m)).await;
    assert_eq!(count(&split, "virginia"), 0, "Virginia is cut off: {split}");
    // Several anti-entropy rounds later (time scale 0.1: a round every 100 ms),
    // Virginia still knows nothing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let still = wait_for(&mut b, SOON, is_frame).await;
    assert_eq!(count(&still, "virginia"), 0, "{still}");
    assert_eq!(status(&still), "settling");
    assert!(frame(&still)["sim"]["verdict"]["lost"].is_null(), "not judged while cut off: {still}");

    send(&mut a, r#"{"type":"heal_all"}"#).await;
    let healed = wait_for(&mut b, SOON, |m| is_frame(m) && all_at(m, 1) && settled(m)).await;
    assert_eq!(frame(&healed)["sim"]["verdict"]["lost"], 0, "{healed}");

    // A crashed region refuses likes, with a clear error to the clicker only.
    send(&mut a, r#"{"type":"crash","region":"mumbai"}"#).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    like(&mut a, "mumbai").await;
    let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "refused", "{err}");
    send(&mut a, r#"{"type":"restart","region":"mumbai"}"#).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    like(&mut a, "mumbai").await;
    wait_for(&mut b, SOON, |m| is_frame(m) && all_at(m, 2)).await;

    // Out-of-range values are refused and change nothing.
    send(&mut a, r#"{"type":"set_all_links","loss":7,"duplicate":0,"jitter_ms":null}"#).await;
    let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "invalid_value", "{err}");
}

#[tokio::test]
async fn a_switch_keeps_the_loss_and_every_viewer_learns_what_it_did() {
    let server = Server::start().await;
    let (mut a, _) = server.join("switch").await;
    let (mut b, _) = server.join("switch").await;
    let lost = |m: &serde_json::Value| frame(m)["sim"]["verdict"]["lost"].as_u64();

    // Last writer wins; likes on both sides of a partition overwrite each other.
    send(&mut a, r#"{"type":"set_strategy","config":{"kind":"last_writer_wins","resend_ms":500}}"#).await;
    wait_for(&mut b, SOON, |m| is_frame(m) && frame(m)["sim"]["strategy"] == "last_writer_wins").await;
    send(&mut a, r#"{"type":"isolate","region":"virginia"}"#).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    like(&mut a, "tokyo").await;
    like(&mut a, "tokyo").await;
    like(&mut a, "virginia").await;
    wait_for(&mut b, SOON, |m| is_frame(m) && count(m, "tokyo") == 2 && count(m, "virginia") == 1).await;
    assert!(lost(&wait_for(&mut b, SOON, is_frame).await).is_none(), "not judged while cut off");
    send(&mut a, r#"{"type":"heal_all"}"#).await;
    let wrong = wait_for(&mut b, SOON, |m| is_frame(m) && settled(m)).await;
    let before = lost(&wrong).unwrap();
    assert!(before > 0, "{wrong}");
    assert_eq!(frame(&wrong)["sim"]["consistency"]["correct"], false, "{wrong}");

    // Back to event push: B hears of the switch, and the loss stays once settled.
    send(&mut a, r#"{"type":"set_strategy","config":{"kind":"event_push","anti_entropy_ms":1000}}"#).await;
    let switched = wait_for(&mut b, SOON, |m| {
        is_frame(m) && frame(m)["sim"]["verdict"]["last_switch"]["to"] == "event_push" && settled(m)
    })
    .await;
    let note = &frame(&switched)["sim"]["verdict"]["last_switch"];
    assert_eq!(note["from"], "last_writer_wins", "{note}");
    assert_eq!(lost(&switched), Some(before), "a switch never erases a loss: {switched}");
}

#[tokio::test]
async fn a_link_of_its_own_is_shown_to_everyone_and_can_be_reset() {
    let server = Server::start().await;
    let (mut a, _) = server.join("links").await;
    let (mut b, _) = server.join("links").await;
    let custom = |m: &serde_json::Value| frame(m)["sim"]["faults"]["custom"].clone();

    // A slows Tokyo -> Sydney down and makes it lossy; B sees that link
    // listed with its conditions, and the room-wide loss still at 0.
    send(
        &mut a,
        r#"{"type":"set_link","from":"tokyo","to":"sydney","conditions":{"latency_ms":9000,"jitter_ms":0,"loss":0.5,"duplicate":0.25,"cut":false}}"#,
    )
    .await;
    let seen = wait_for(&mut b, SOON, |m| is_frame(m) && custom(m).as_array().is_some_and(|c| c.len() == 1)).await;
    let link = &custom(&seen)[0];
    assert_eq!((link["f"].as_str(), link["t"].as_str()), (Some("tokyo"), Some("sydney")), "{seen}");
    assert_eq!((link["latency_ms"].as_u64(), link["loss"].as_f64()), (Some(9000), Some(0.5)), "{seen}");
    assert_eq!(frame(&seen)["sim"]["faults"]["loss"], 0.0, "{seen}");

    // Room-wide loss leaves the custom link alone.
    send(&mut a, r#"{"type":"set_all_links","loss":0.1,"duplicate":0,"jitter_ms":null}"#).await;
    let wide = wait_for(&mut b, SOON, |m| is_frame(m) && frame(m)["sim"]["faults"]["loss"] == 0.1).await;
    assert_eq!(custom(&wide)[0]["loss"], 0.5, "{wide}");

    // A bad reset is refused; a good one empties the list (and the field).
    send(&mut a, r#"{"type":"reset_link","from":"sydney","to":"sydney"}"#).await;
    let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "invalid_value", "{err}");
    send(&mut a, r#"{"type":"reset_link","from":"tokyo","to":"sydney"}"#).await;
    let reset = wait_for(&mut b, SOON, |m| is_frame(m) && custom(m).is_null()).await;
    assert_eq!(frame(&reset)["sim"]["faults"]["loss"], 0.1, "{reset}");
}

#[tokio::test]
async fn the_public_room_refuses_controls_but_takes_likes() {
    let server = Server::start().await;
    let (mut a, _) = server.join("public").await;
    for control in [
        r#"{"type":"set_strategy","config":{"kind":"last_writer_wins","resend_ms":null}}"#,
        r#"{"type":"isolate","region":"tokyo"}"#,
        r#"{"type":"crash","region":"tokyo"}"#,
    ] {
        send(&mut a, control).await;
        let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
        assert_eq!(err["code"], "locked", "{err}");
        assert!(err["message"].as_str().unwrap().contains("New room"), "{err}");
    }
    like(&mut a, "tokyo").await;
    let done = wait_for(&mut a, SOON, |m| is_frame(m) && all_at(m, 1) && settled(m)).await;
    assert_eq!(frame(&done)["sim"]["strategy"], "event_push");
    assert_eq!(frame(&done)["sim"]["verdict"]["lost"], 0);
}

#[tokio::test]
async fn people_like_and_unlike_and_are_counted_by_home() {
    let server = Server::start().await;
    let (mut a, _) = server.join("people").await;
    let (mut b, _) = server.join("people").await;
    send(&mut a, r#"{"type":"hello","person":"p_aaaaaaaaaaaa","home":"tokyo"}"#).await;
    send(&mut b, r#"{"type":"hello","person":"p_bbbbbbbbbbbb","home":"tokyo"}"#).await;
    let counted = wait_for(&mut a, SOON, |m| is_frame(m) && frame(m)["people"][0] == 2).await;
    assert_eq!(frame(&counted)["people"].as_array().unwrap().iter().filter_map(|n| n.as_u64()).sum::<u64>(), 2);

    // A bad person id gets a clear error; a claps room refuses an unlike.
    send(&mut a, r#"{"type":"like","region":"tokyo","person":"no spaces!"}"#).await;
    let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "bad_person", "{err}");
    send(&mut a, r#"{"type":"unlike","region":"tokyo","person":"p_aaaaaaaaaaaa"}"#).await;
    let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "refused", "{err}");
    assert!(err["message"].as_str().unwrap().contains("cannot be taken back"), "{err}");

    // One like per person: two likes by A and one by B count two people.
    send(&mut a, r#"{"type":"set_data_type","data_type":"likes_add_wins"}"#).await;
    wait_for(&mut b, SOON, |m| is_frame(m) && frame(m)["sim"]["data_type"] == "likes_add_wins").await;
    let like_as = |person: &str| format!(r#"{{"type":"like","region":"sydney","person":"{person}"}}"#);
    send(&mut a, &like_as("p_aaaaaaaaaaaa")).await;
    send(&mut a, &like_as("p_aaaaaaaaaaaa")).await;
    send(&mut b, &like_as("p_bbbbbbbbbbbb")).await;
    let two = wait_for(&mut b, SOON, |m| is_frame(m) && all_at(m, 2) && settled(m)).await;
    assert!(frame(&two)["sim"]["verdict"]["double_counted"].is_null(), "{two}");
    assert_eq!(frame(&two)["sim"]["verdict"]["set"]["expected"], 2, "{two}");
    assert_eq!(frame(&two)["sim"]["replicas"][0]["members"].as_array().unwrap().len(), 2, "{two}");
    // A takes it back in Virginia.
    send(&mut a, r#"{"type":"unlike","region":"virginia","person":"p_aaaaaaaaaaaa"}"#).await;
    let one = wait_for(&mut b, SOON, |m| is_frame(m) && all_at(m, 1) && settled(m)).await;
    assert_eq!(frame(&one)["sim"]["verdict"]["lost"], 0, "{one}");
}

/// The read model's knob: a logged control, validated, refused in the
/// public room; the frame carries the read model and its lag.
#[tokio::test]
async fn the_read_model_lags_by_its_interval_and_the_knob_sets_it() {
    let server = Server::start().await;
    let (mut a, _) = server.join("read-model").await;
    // A room of claps has no "who liked" to project.
    let claps = wait_for(&mut a, SOON, is_frame).await;
    assert!(frame(&claps)["sim"]["read_model"].is_null(), "{claps}");
    send(&mut a, r#"{"type":"set_data_type","data_type":"likes_add_wins"}"#).await;
    // A long interval: the replicas know Ana likes the post, the read
    // model does not yet, and says how far behind it is.
    send(&mut a, r#"{"type":"set_read_model","interval_ms":60000}"#).await;
    wait_for(&mut a, SOON, |m| is_frame(m) && frame(m)["sim"]["read_model"]["interval_ms"] == 60000).await;
    send(&mut a, r#"{"type":"like","region":"tokyo","person":"p_aaaaaaaaaaaa"}"#).await;
    let behind = wait_for(&mut a, SOON, |m| is_frame(m) && all_at(m, 1) && settled(m)).await;
    let rm = &frame(&behind)["sim"]["read_model"];
    assert_eq!((rm["count"].as_u64(), rm["behind_events"].as_u64()), (Some(0), Some(1)), "{rm}");
    // On every event: it catches up at once.
    send(&mut a, r#"{"type":"set_read_model","interval_ms":0}"#).await;
    let caught = wait_for(&mut a, SOON, |m| is_frame(m) && frame(m)["sim"]["read_model"]["interval_ms"] == 0).await;
    let rm = &frame(&caught)["sim"]["read_model"];
    assert_eq!(
        (rm["count"].as_u64(), rm["behind_events"].as_u64(), rm["behind_ms"].as_u64()),
        (Some(1), Some(0), Some(0))
    );
    assert_eq!(rm["members"].as_array().unwrap().len(), 1, "{rm}");
    // Out of range: a clear error, nothing changes.
    send(&mut a, r#"{"type":"set_read_model","interval_ms":60001}"#).await;
    let err = wait_for(&mut a, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "invalid_value", "{err}");
    assert!(err["message"].as_str().unwrap().contains("interval_ms"), "{err}");
    // The public room is locked.
    let (mut p, _) = server.join("public").await;
    send(&mut p, r#"{"type":"set_read_model","interval_ms":0}"#).await;
    let err = wait_for(&mut p, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "locked", "{err}");
}
