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
