//! Super likes over the wire: a saga started by `super_like`, the payouts
//! switch, the public room's refusal, bad input, and a room's sagas
//! surviving a server restart (their inputs are logged and replayed),
//! against a real server on loopback (delays at a tenth of the demo's).

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(10);
const ME: &str = "p_sagatester1";

fn sagas(msg: &Value) -> &Value {
    &frame(msg)["sim"]["sagas"]
}

fn money(msg: &Value) -> &Value {
    &frame(msg)["sim"]["verdict"]["sagas"]
}

fn first_state(msg: &Value) -> &str {
    sagas(msg)["rows"][0]["state"].as_str().unwrap_or("")
}

fn is_error(msg: &Value, code: &str) -> bool {
    msg["type"] == "error" && msg["code"] == code
}

#[tokio::test]
async fn closed_payouts_compensate_the_super_like_and_the_coin_comes_back() {
    let server = Server::start().await;
    let (mut a, _) = server.join("saga-closed").await;
    send(&mut a, r#"{"type":"set_payouts","open":false}"#).await;
    wait_for(&mut a, SOON, |m| is_frame(m) && sagas(m)["payouts_open"] == false).await;
    send(&mut a, &format!(r#"{{"type":"super_like","region":"tokyo","person":"{ME}"}}"#)).await;
    let running = wait_for(&mut a, SOON, |m| is_frame(m) && first_state(m) == "running").await;
    assert_eq!(sagas(&running)["rows"][0]["region"], "tokyo");
    let seen = wait_for(&mut a, SOON, |m| {
        is_frame(m) && sagas(m)["super_likes"].as_array().is_some_and(|v| v.iter().any(|n| n.as_u64() > Some(0)))
    })
    .await;
    assert_eq!(money(&seen)["conserved"], true);
    let done = wait_for(&mut a, SOON, |m| is_frame(m) && first_state(m) == "compensated").await;
    let row = &sagas(&done)["rows"][0];
    assert_eq!(row["steps"], serde_json::json!(["compensated", "compensated", "failed"]));
    assert_eq!(row["failed_by"], "refused");
    let m = money(&done);
    assert_eq!((m["in_wallets"].as_u64(), m["paid_out"].as_u64(), m["issued"].as_u64()), (Some(3), Some(0), Some(3)));
    assert_eq!(m["compensated"], 1);
    assert_eq!(m["seen_then_taken_back"], 1);
    assert_eq!(m["conserved"], true);
    let settled = wait_for(&mut a, SOON, |m| {
        is_frame(m) && sagas(m)["super_likes"].as_array().is_some_and(|v| v.iter().all(|n| n == 0))
    })
    .await;
    assert_eq!(money(&settled)["running"], 0);
}

#[tokio::test]
async fn open_payouts_pay_the_author() {
    let server = Server::start().await;
    let (mut a, _) = server.join("saga-open").await;
    send(&mut a, &format!(r#"{{"type":"super_like","region":"sydney","person":"{ME}"}}"#)).await;
    let done = wait_for(&mut a, SOON, |m| is_frame(m) && first_state(m) == "done").await;
    let m = money(&done);
    assert_eq!(
        (m["in_wallets"].as_u64(), m["paid_out"].as_u64(), m["completed"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
}

#[tokio::test]
async fn the_public_room_refuses_super_likes_and_the_payouts_switch() {
    let server = Server::start().await;
    let (mut p, _) = server.join("public").await;
    send(&mut p, &format!(r#"{{"type":"super_like","region":"tokyo","person":"{ME}"}}"#)).await;
    wait_for(&mut p, SOON, |m| is_error(m, "locked")).await;
    send(&mut p, r#"{"type":"set_payouts","open":false}"#).await;
    wait_for(&mut p, SOON, |m| is_error(m, "locked")).await;
}

#[tokio::test]
async fn bad_super_likes_get_clear_errors() {
    let server = Server::start().await;
    let (mut a, _) = server.join("saga-bad").await;
    send(&mut a, r#"{"type":"super_like","region":"tokyo"}"#).await;
    wait_for(&mut a, SOON, |m| is_error(m, "bad_message")).await;
    send(&mut a, r#"{"type":"super_like","region":"tokyo","person":"<x>"}"#).await;
    wait_for(&mut a, SOON, |m| is_error(m, "bad_person")).await;
    send(&mut a, &format!(r#"{{"type":"super_like","region":"atlantis","person":"{ME}"}}"#)).await;
    wait_for(&mut a, SOON, |m| is_error(m, "unknown_region")).await;
    send(&mut a, r#"{"type":"set_payouts","open":"no"}"#).await;
    wait_for(&mut a, SOON, |m| is_error(m, "bad_message")).await;
}

#[tokio::test]
async fn a_rooms_sagas_survive_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = stored_server(dir.path()).await;
    let (mut a, _) = server.join("saga-remember").await;
    send(&mut a, r#"{"type":"set_payouts","open":false}"#).await;
    send(&mut a, &format!(r#"{{"type":"super_like","region":"mumbai","person":"{ME}"}}"#)).await;
    let before = wait_for(&mut a, SOON, |m| is_frame(m) && first_state(m) == "compensated").await;
    drop(a);
    let mut server = server;
    server.stop();
    if let Some(done) = server.done.take() {
        let _ = tokio::time::timeout(SOON, done).await;
    }

    let server = stored_server(dir.path()).await;
    let (mut a, snap) = server.join("saga-remember").await;
    assert_eq!(sagas(&snap)["payouts_open"], false, "{snap}");
    // The room is rebuilt at its last input's time (the saga just started)
    // and runs on from there: the replay ends the same way.
    let after = wait_for(&mut a, SOON, |m| is_frame(m) && first_state(m) == "compensated").await;
    assert_eq!(sagas(&after)["rows"][0]["steps"], sagas(&before)["rows"][0]["steps"]);
    assert_eq!(money(&after), money(&before));
}
