//! Guided scenarios over HTTP: `/s/{id}` (and `/?scenario=id`) starts a new
//! private room playing the scenario and redirects to it; the room's frames
//! show the scenario's progress; an unknown id gets a clear 404.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A GET returning (status, the `Location` header, body).
async fn get_raw(server: &Server, path: &str) -> (u16, Option<String>, String) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response)).await.unwrap().unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let location = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim()))
        .map(str::to_owned);
    (status, location, body.to_owned())
}

/// A redirect to a scenario's room: `/r/{room}?presenter={token}`, split.
fn room_and_token(location: &str) -> (String, String) {
    let rest = location.strip_prefix("/r/").expect("to a private room's page");
    let (room, token) = rest.split_once("?presenter=").expect("with the opener's presenter token");
    (room.to_owned(), token.to_owned())
}

fn scenario(msg: &Value) -> &Value {
    &frame(msg)["sim"]["scenario"]
}

#[tokio::test]
async fn a_scenario_link_makes_a_new_private_room_that_plays_it() {
    let server = Server::start().await;
    let (status, location, _) = get_raw(&server, "/s/same_moment").await;
    assert_eq!(status, 303);
    let location = location.expect("a redirect");
    let (room, token) = room_and_token(&location);
    assert_eq!(room.len(), 22, "an unguessable id: {room}");

    let (mut ws, snap) = server.join(&room).await;
    assert_eq!(snap["public"], false);
    // Whoever opened the link presents the room: another viewer's control
    // is refused, the opener's token is taken.
    let (mut other, _) = server.join(&room).await;
    send(&mut other, r#"{"type":"heal_all"}"#).await;
    wait_for(&mut other, Duration::from_secs(5), |m| m["type"] == "error" && m["code"] == "not_presenter").await;
    send(&mut ws, &format!(r#"{{"type":"present","token":"{token}"}}"#)).await;
    wait_for(&mut ws, Duration::from_secs(5), |m| m["type"] == "presenting").await;
    assert_eq!(scenario(&snap)["id"], "same_moment");
    // The room plays the steps by itself, as simulated time passes: Tokyo
    // and Virginia like at 1 s, and every region ends on 2.
    let end = wait_for(&mut ws, Duration::from_secs(15), |m| is_frame(m) && scenario(m)["finished"] == true).await;
    assert!(all_at(&end, 2), "every region shows 2: {end}");
    assert_eq!(truth(&end), 2);
    assert_eq!(scenario(&end)["done"], 4);

    // A second click is a second room: each viewer gets their own story.
    let (_, again, _) = get_raw(&server, "/s/same_moment").await;
    assert_ne!(again.as_deref(), Some(location.as_str()));
}

#[tokio::test]
async fn a_query_parameter_on_the_lab_opens_a_scenario_too() {
    let server = Server::start().await;
    let (status, location, _) = get_raw(&server, "/?scenario=cable_cut").await;
    assert_eq!(status, 303);
    let (room, _) = room_and_token(&location.unwrap());
    let (_ws, snap) = server.join(&room).await;
    assert_eq!(scenario(&snap)["id"], "cable_cut");
    assert_eq!(snap["frame"]["sim"]["strategy"], "event_push");
}

#[tokio::test]
async fn an_unknown_scenario_is_refused_clearly_and_starts_nothing() {
    let server = Server::start().await;
    for path in ["/s/teleport", "/?scenario=teleport", "/s/%3Cscript%3E"] {
        let (status, location, body) = get_raw(&server, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(location, None);
        assert!(body.contains("no scenario is called"), "{path}: {body}");
        assert!(body.contains("cable_cut"), "it lists the scenarios there are: {body}");
    }
    let (status, body) = server.get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""rooms":0"#), "{body}");
    // The lab page itself is unaffected.
    assert_eq!(server.get("/").await.0, 200);
}

#[tokio::test]
async fn the_public_room_and_plain_rooms_show_no_scenario() {
    let server = Server::start().await;
    let (_p, snap) = server.join("public").await;
    assert!(scenario(&snap).is_null(), "{}", scenario(&snap));
    let (_r, snap) = server.join("plain-room").await;
    assert!(scenario(&snap).is_null());
}

#[tokio::test]
async fn an_imported_run_naming_an_unknown_scenario_is_refused() {
    let server = Server::start().await;
    let run = r#"{"format":1,"seed":7,"config":{"seed":7,"time_scale":1.0,"strategy":{"kind":"event_push"},
        "durable":true,"scenario":"teleport"},"inputs":[],"until_ms":0}"#;
    let (status, body) = server.post("/api/import", run).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no scenario is called"), "{body}");
    let (status, body) = server.post("/api/import", &run.replace("teleport", "money")).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_scenario_room_goes_on_with_its_story_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let stored = |dir: std::path::PathBuf| Server::start_with(move |c| c.data_dir = Some(dir));
    let mut server = stored(dir.path().to_owned()).await;
    let (_, location, _) = get_raw(&server, "/s/same_moment").await;
    let (room, _) = room_and_token(&location.unwrap());
    let (mut ws, _) = server.join(&room).await;
    // The two likes have played (the steps are not logged: the room's
    // stored configuration names the scenario, and a replay plays them).
    wait_for(&mut ws, Duration::from_secs(10), |m| is_frame(m) && scenario(m)["done"] == 2).await;
    drop(ws);
    server.stop();
    if let Some(done) = server.done.take() {
        let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
    }

    let server = stored(dir.path().to_owned()).await;
    let (mut ws, snap) = server.join(&room).await;
    // A stored room comes back at its last logged input's time (no input
    // here: the start), and its configuration still names the scenario, so
    // the story plays on from there — each step once.
    assert_eq!(scenario(&snap)["id"], "same_moment", "{snap}");
    let end = wait_for(&mut ws, Duration::from_secs(15), |m| is_frame(m) && scenario(m)["finished"] == true).await;
    assert!(all_at(&end, 2), "{end}");
    assert_eq!(truth(&end), 2, "no step played twice");
}
