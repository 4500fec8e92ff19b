//! Hostile input the other suites do not send: requests that are valid,
//! well-formed and rate-limited, yet ask the server for unbounded work or
//! unbounded rooms (a fork flood, an import that would replay for an hour),
//! and odd framing and HTTP requests. Real server, real sockets, loopback
//! only; every wait is bounded.

mod common;

use common::*;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

/// Reads until the answer to a `fork`: `Ok(room)` or `Err(error message)`.
async fn fork_answer(ws: &mut Ws) -> Result<String, serde_json::Value> {
    let msg = wait_for(ws, SOON, |m| m["type"] == "forked" || m["type"] == "error").await;
    match msg["room"].as_str() {
        Some(room) if msg["type"] == "forked" => Ok(room.to_owned()),
        _ => Err(msg),
    }
}

/// A fork starts a new private room, so it spends the address's new-room
/// budget like New room does. Before, one connection could fork at the like
/// rate (20 a second) and fill the server's room cap in minutes, after which
/// nobody could make or reopen a private room.
#[tokio::test]
async fn forks_spend_the_new_room_budget_of_the_address() {
    let server = Server::start_with(|c| c.per_address.new_rooms_per_minute = 2).await;
    // The public room costs no budget, and anyone may fork it.
    let (mut ws, _) = server.join("public").await;
    for _ in 0..2 {
        send(&mut ws, r#"{"type":"fork","at_ms":0}"#).await;
        fork_answer(&mut ws).await.expect("within the budget");
    }
    send(&mut ws, r#"{"type":"fork","at_ms":0}"#).await;
    let refused = fork_answer(&mut ws).await.expect_err("a third fork in a minute is over the budget");
    assert_eq!(refused["code"], "room_unavailable", "{refused}");
    let text = refused["message"].as_str().unwrap_or_default();
    assert!(text.contains("too many new rooms from your address") && text.contains("not forked"), "{text}");
    // The connection and the room carry on.
    like(&mut ws, "tokyo").await;
    wait_for(&mut ws, SOON, |m| is_frame(m) && truth(m) == 1).await;
}

/// A run as `export` sends it: an empty room with `config`, run to `until_ms`.
fn idle_run(strategy: serde_json::Value, time_scale: f64, until_ms: u64) -> serde_json::Value {
    serde_json::json!({
        "format": 1, "seed": 7,
        "config": {"seed": 7, "time_scale": time_scale, "strategy": strategy, "durable": true},
        "inputs": [], "until_ms": until_ms,
    })
}

/// Every field of this run is in range, but replaying it means a sync round
/// every 10 ms for a week: over an hour of a core (see
/// `shared::sim::replay::MAX_REPLAY_ROUNDS`). It is refused up front with a
/// 400 and the reason, before any room is started.
#[tokio::test]
async fn an_import_that_would_replay_for_hours_is_refused_with_the_reason() {
    let server = Server::start().await;
    let week = shared::sim::replay::MAX_RUN_MS;
    let sync = serde_json::json!({"kind": "background_sync", "interval_ms": 100});
    let (status, body) = server.post("/api/import", &idle_run(sync.clone(), 0.1, week).to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("too long to replay"), "{body}");
    // The same run over three seconds is imported, and its room opens.
    let (status, body) = server.post("/api/import", &idle_run(sync, 0.1, 3_000).to_string()).await;
    assert_eq!(status, 201, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (_ws, snapshot) = server.join(answer["room"].as_str().unwrap()).await;
    assert!(frame(&snapshot)["sim"]["now_ms"].as_u64().unwrap() >= 3_000);
}

/// Bad import bodies each get a 4xx with a reason, never a room, and the
/// server goes on: nesting 100 000 deep, the wrong format,
/// an unknown region, numbers as strings, floats for integers, negative and
/// past-u64 times, duplicate keys, a body over the limit.
#[tokio::test]
async fn malformed_imports_are_refused_with_a_reason() {
    let server = Server::start().await;
    let good = idle_run(serde_json::json!({"kind": "event_push", "anti_entropy_ms": 4000}), 1.0, 1_000);
    let (status, body) = server.post("/api/import", &good.to_string()).await;
    assert_eq!(status, 201, "the baseline is good: {body}");
    let text = good.to_string();
    // serde reads a run field by field, so deep nesting fails at its first
    // level, whatever its depth.
    let deep = text.replace(r#""inputs":[]"#, &format!(r#""inputs":{}{}"#, "[".repeat(100_000), "]".repeat(100_000)));
    let cases: Vec<(String, &str)> = vec![
        (deep, "not a run"),
        (text.replace(r#""format":1"#, r#""format":2"#), "format"),
        (text.replace(r#""inputs":[]"#, r#""inputs":[{"at":5,"command":{"type":"like","args":"mars"}}]"#), "mars"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":"1000""#), "invalid type"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":1000.5"#), "invalid type"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":-1"#), "invalid value"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":18446744073709551616"#), "invalid type"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":18446744073709551615"#), "until_ms"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":1000,"until_ms":2000"#), "duplicate field"),
        (text.replace(r#""until_ms":1000"#, r#""until_ms":1000,"extra":1"#), "unknown field"),
    ];
    for (body, why) in cases {
        let (status, answer) = server.post("/api/import", &body).await;
        let shown: String = body.chars().take(120).collect();
        assert_eq!(status, 400, "{shown}: {answer}");
        assert!(answer.contains(why), "{shown}: expected {why:?} in {answer}");
    }
    // Over the 8 MiB limit: 413, read no further.
    let huge = format!(r#"{{"format":1,"pad":"{}"}}"#, "x".repeat(backend::app::MAX_IMPORT_BYTES));
    let (status, _) = server.post("/api/import", &huge).await;
    assert_eq!(status, 413);
    let (_ws, snapshot) = server.join("still-here").await;
    assert_eq!(snapshot["type"], "snapshot");
}

/// Seeks, forks and exports are answered on the room's own task, which
/// also publishes everyone's frames: once they used up their share of the
/// room's time (here: none to spare after the first), the next is refused
/// with `rate_limited` and a reason, and the room goes on for everyone.
#[tokio::test]
async fn answers_to_one_viewer_cannot_take_the_whole_room() {
    let server = Server::start_with(|c| {
        c.rooms.answer_share = 0.0;
        c.rooms.answer_burst = Duration::from_nanos(1);
    })
    .await;
    let (mut asker, _) = server.join("busy").await;
    let (mut other, _) = server.join("busy").await;
    send(&mut asker, r#"{"type":"export"}"#).await;
    let run = wait_for(&mut asker, SOON, |m| m["type"] == "run" || m["type"] == "error").await;
    assert_eq!(run["type"], "run", "the first answer is within the budget: {run}");
    for request in [r#"{"type":"export"}"#, r#"{"type":"seek","at_ms":0}"#, r#"{"type":"fork","at_ms":0}"#] {
        send(&mut asker, request).await;
        let refused = wait_for(&mut asker, SOON, |m| m["type"] == "error").await;
        assert_eq!(refused["code"], "rate_limited", "{request}: {refused}");
        let text = refused["message"].as_str().unwrap_or_default();
        assert!(text.contains("busy answering") && text.contains("not answered"), "{request}: {text}");
    }
    // Likes are not answers: they go on, for both viewers.
    like(&mut asker, "tokyo").await;
    wait_for(&mut other, SOON, |m| is_frame(m) && truth(m) == 1).await;
}

/// Raw WebSocket frames a browser would never send, each on its own
/// connection beside a bystander in the same room.
mod framing {
    use super::*;
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::Message;

    fn text_fragment(bytes: &[u8], first: bool, last: bool) -> Message {
        let opcode = if first { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
        Message::Frame(Frame::message(bytes.to_vec(), opcode, last))
    }

    /// A like split over three fragments is one message: it counts.
    #[tokio::test]
    async fn a_fragmented_message_is_read_whole() {
        let server = Server::start().await;
        let (mut ws, _) = server.join("fragments").await;
        let text = br#"{"type":"like","region":"tokyo"}"#;
        ws.send(text_fragment(&text[..5], true, false)).await.unwrap();
        ws.send(text_fragment(&text[5..20], false, false)).await.unwrap();
        ws.send(text_fragment(&text[20..], false, true)).await.unwrap();
        wait_for(&mut ws, SOON, |m| is_frame(m) && truth(m) == 1).await;
    }

    /// Small fragments that add up past the socket's limit are not buffered
    /// on and on: the message is too big (1009), as one frame that size is.
    #[tokio::test]
    async fn fragments_past_the_socket_limit_close_only_that_connection() {
        let server = Server::start().await;
        let (mut bystander, _) = server.join("fragments").await;
        let (mut ws, _) = server.join("fragments").await;
        let chunk = vec![b' '; 1024];
        let chunks = backend::app::MAX_WS_MESSAGE_BYTES / chunk.len() + 2;
        for i in 0..chunks {
            if ws.send(text_fragment(&chunk, i == 0, false)).await.is_err() {
                break;
            }
        }
        assert_eq!(
            closed_with(&mut ws, SOON).await.map(|c| c.0),
            Some(1009),
            "message too big, said with a close frame"
        );
        alone_after_a_like(&mut bystander, SOON).await;
    }

    /// A text frame that is not UTF-8 breaks the WebSocket protocol itself:
    /// the server ends that connection (RFC 6455 §8.1: "fail the
    /// connection"), and only that one.
    #[tokio::test]
    async fn a_text_frame_that_is_not_utf8_ends_only_that_connection() {
        let server = Server::start().await;
        let (mut bystander, _) = server.join("utf8").await;
        let (mut ws, _) = server.join("utf8").await;
        ws.send(text_fragment(b"{\"type\":\"like\",\"region\":\"\xff\xfe\"}", true, true)).await.unwrap();
        assert_eq!(
            closed_with(&mut ws, SOON).await.map(|c| c.0),
            Some(1007),
            "invalid frame payload data, said with a close frame"
        );
        alone_after_a_like(&mut bystander, SOON).await;
    }
}

/// Reading a run is the costly part of an import, so every attempt spends
/// the address's new-room budget, refused or not. Before, refused runs were
/// free: a flood of big invalid ones kept the server parsing without limit.
#[tokio::test]
async fn every_import_attempt_spends_the_new_room_budget() {
    let server = Server::start_with(|c| c.per_address.new_rooms_per_minute = 2).await;
    let bad = idle_run(serde_json::json!({"kind": "event_push", "anti_entropy_ms": 4000}), 1.0, 1_000)
        .to_string()
        .replace(r#""format":1"#, r#""format":2"#);
    for _ in 0..2 {
        let (status, body) = server.post("/api/import", &bad).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("unsupported run format 2"), "{body}");
    }
    let (status, body) = server.post("/api/import", &bad).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too many new rooms from your address"), "{body}");
}

/// `resume` on a running room is a no-op. It used to set the room's clock
/// back to its last anchor, so the room's time stood still until the wall
/// clock caught up: a client repeating `resume` froze a room for everyone.
#[tokio::test]
async fn resume_on_a_running_room_does_not_stop_its_time() {
    let server = Server::start().await;
    let (mut ws, _) = server.join("resumed").await;
    let now_ms = |m: &serde_json::Value| frame(m)["sim"]["now_ms"].as_u64().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    like(&mut ws, "tokyo").await;
    let before = now_ms(&wait_for(&mut ws, SOON, |m| is_frame(m) && truth(m) == 1).await);
    assert!(before >= 1_000, "the room ran: {before}");
    for _ in 0..3 {
        send(&mut ws, r#"{"type":"resume"}"#).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    like(&mut ws, "tokyo").await;
    let after = now_ms(&wait_for(&mut ws, SOON, |m| is_frame(m) && truth(m) == 2).await);
    assert!(after >= before + 250, "the room's time went on: {before} then {after}");
}
