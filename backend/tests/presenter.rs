//! Presenters: a room made on purpose (`POST /api/rooms`, `fork`) takes
//! changes only from connections that showed its token; everyone may like.
//! The token survives a restart (it is stored with the room), and rooms
//! from before presenters existed stay open to everyone. Every change is
//! announced in the frames' change log with who made it.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

/// A person id and the name every page shows for it.
const TEACHER: &str = "p_teacher_0001";

fn teacher_name() -> String {
    shared::people::name(shared::people::person_id(TEACHER).unwrap())
}

/// `POST /api/rooms`: the new room's id and its presenter token.
async fn new_room(server: &Server) -> (String, String) {
    let (status, body) = server.post("/api/rooms", "").await;
    assert_eq!(status, 201, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let (room, token) = (answer["room"].as_str().unwrap(), answer["presenter"].as_str().unwrap());
    assert_eq!(token.len(), 22, "{body}");
    (room.to_owned(), token.to_owned())
}

/// Joins as the presenter: says who it is, shows the token, waits for yes.
async fn join_presenting(server: &Server, room: &str, token: &str) -> Ws {
    let (mut ws, _) = server.join(room).await;
    send(&mut ws, &format!(r#"{{"type":"hello","person":"{TEACHER}","home":"tokyo"}}"#)).await;
    send(&mut ws, &format!(r#"{{"type":"present","token":"{token}"}}"#)).await;
    wait_for(&mut ws, SOON, |m| m["type"] == "presenting").await;
    ws
}

fn cuts(msg: &Value) -> usize {
    frame(msg)["sim"]["faults"]["cut"].as_array().map_or(0, Vec::len)
}

fn changes(msg: &Value) -> Vec<String> {
    frame(msg)["changes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["text"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn is_error(msg: &Value, code: &str) -> bool {
    msg["type"] == "error" && msg["code"] == code
}

#[tokio::test]
async fn a_viewer_cannot_change_a_presented_room_and_the_presenter_can() {
    let server = Server::start().await;
    let (room, token) = new_room(&server).await;
    let (mut viewer, snap) = server.join(&room).await;
    assert_eq!(frame(&snap)["presenter"]["here"], false, "nobody presents yet: {snap}");

    // A viewer's control and time control are refused, with who presents.
    send(&mut viewer, r#"{"type":"cut","a":"tokyo","b":"virginia"}"#).await;
    let err = wait_for(&mut viewer, SOON, |m| m["type"] == "error").await;
    assert!(is_error(&err, "not_presenter"), "{err}");
    send(&mut viewer, r#"{"type":"pause"}"#).await;
    let err = wait_for(&mut viewer, SOON, |m| m["type"] == "error").await;
    assert!(is_error(&err, "not_presenter"), "{err}");
    // A wrong token changes nothing either.
    send(&mut viewer, r#"{"type":"present","token":"NotTheRightToken000000"}"#).await;
    let err = wait_for(&mut viewer, SOON, |m| m["type"] == "error").await;
    assert!(is_error(&err, "not_presenter"), "{err}");
    // Likes stay open to everyone.
    like(&mut viewer, "sydney").await;
    wait_for(&mut viewer, SOON, |m| is_frame(m) && truth(m) == 1).await;

    let mut presenter = join_presenting(&server, &room, &token).await;
    send(&mut presenter, r#"{"type":"cut","a":"tokyo","b":"virginia"}"#).await;
    let expected = format!("{} cut Tokyo ⇄ Virginia", teacher_name());
    let seen = wait_for(&mut viewer, SOON, |m| is_frame(m) && cuts(m) == 2).await;
    assert_eq!(frame(&seen)["presenter"]["name"], teacher_name().as_str(), "{seen}");
    let seen = wait_for(&mut viewer, SOON, |m| is_frame(m) && changes(m).contains(&expected)).await;
    assert_eq!(cuts(&seen), 2, "the viewer's refused cut never happened; the presenter's did");
    assert_eq!(changes(&seen).len(), 1, "refused controls are not announced: {:?}", changes(&seen));
    send(&mut presenter, r#"{"type":"pause"}"#).await;
    let paused = wait_for(&mut viewer, SOON, |m| is_frame(m) && m["time"]["paused"] == true).await;
    assert_eq!(changes(&paused).last().map(String::as_str), Some(&*format!("{} paused the clock", teacher_name())));

    // When the presenter leaves, the room says nobody presents.
    drop(presenter);
    wait_for(&mut viewer, SOON, |m| is_frame(m) && m["presenter"]["here"] == false).await;
    // The public room has no presenter: it only takes likes.
    let (mut public, snap) = server.join("public").await;
    assert!(frame(&snap).get("presenter").is_none());
    send(&mut public, &format!(r#"{{"type":"present","token":"{token}"}}"#)).await;
    let err = wait_for(&mut public, SOON, |m| m["type"] == "error").await;
    assert!(is_error(&err, "locked"), "{err}");
}

#[tokio::test]
async fn a_fork_is_presented_by_whoever_forked_it() {
    let server = Server::start().await;
    let (room, _) = new_room(&server).await;
    let (mut viewer, _) = server.join(&room).await;
    send(&mut viewer, r#"{"type":"fork","at_ms":0}"#).await;
    let forked = wait_for(&mut viewer, SOON, |m| m["type"] == "forked").await;
    let (fork, token) = (forked["room"].as_str().unwrap(), forked["presenter"].as_str().unwrap());
    let mut ws = join_presenting(&server, fork, token).await;
    send(&mut ws, r#"{"type":"crash","region":"mumbai"}"#).await;
    let msg = wait_for(&mut ws, SOON, |m| m["type"] == "error" || (is_frame(m) && !changes(m).is_empty())).await;
    assert_eq!(changes(&msg), vec![format!("{} crashed Mumbai", teacher_name())], "{msg}");
}

#[tokio::test]
async fn the_token_survives_a_restart_and_rooms_without_one_stay_open() {
    let dir = tempfile::tempdir().unwrap();
    // A database from before presenters: no `presenter` column, one room.
    {
        let conn = rusqlite::Connection::open(dir.path().join(backend::store::DB_FILE)).unwrap();
        conn.execute_batch(
            "CREATE TABLE rooms (id TEXT PRIMARY KEY, seed INTEGER NOT NULL, config TEXT NOT NULL,
                 format INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);",
        )
        .unwrap();
        let config = shared::sim::SimConfig { seed: 7, ..Default::default() };
        conn.execute(
            "INSERT INTO rooms VALUES ('old-room', 7, ?1, ?2, 0, 4102444800)",
            rusqlite::params![serde_json::to_string(&config).unwrap(), backend::store::FORMAT],
        )
        .unwrap();
    }
    let server = stored_server(dir.path()).await;
    let (room, token) = new_room(&server).await;
    let mut presenter = join_presenting(&server, &room, &token).await;
    send(&mut presenter, r#"{"type":"cut","a":"tokyo","b":"virginia"}"#).await;
    wait_for(&mut presenter, SOON, |m| is_frame(m) && cuts(m) == 2).await;
    drop(presenter);
    shut(server).await;

    let server = stored_server(dir.path()).await;
    let (mut viewer, snap) = server.join(&room).await;
    assert_eq!(cuts(&snap), 2, "restored: {snap}");
    send(&mut viewer, r#"{"type":"heal_all"}"#).await;
    let err = wait_for(&mut viewer, SOON, |m| m["type"] == "error").await;
    assert!(is_error(&err, "not_presenter"), "still presented after the restart: {err}");
    let mut presenter = join_presenting(&server, &room, &token).await;
    send(&mut presenter, r#"{"type":"heal_all"}"#).await;
    wait_for(&mut viewer, SOON, |m| is_frame(m) && cuts(m) == 0).await;

    // The room from before presenters: nobody presents, anyone may change it,
    // and showing a token does not make anyone its presenter.
    let (mut anyone, snap) = server.join("old-room").await;
    assert!(frame(&snap).get("presenter").is_none(), "{snap}");
    send(&mut anyone, &format!(r#"{{"type":"present","token":"{token}"}}"#)).await;
    let err = wait_for(&mut anyone, SOON, |m| m["type"] == "error").await;
    assert!(is_error(&err, "not_presenter"), "{err}");
    send(&mut anyone, r#"{"type":"crash","region":"tokyo"}"#).await;
    let crashed = wait_for(&mut anyone, SOON, |m| is_frame(m) && m["sim"]["replicas"][0]["crashed"] == true).await;
    assert!(frame(&crashed).get("presenter").is_none());
}

/// The README's protocol table shows real messages: every client message
/// in it parses, and the presenter's server messages read as documented.
#[test]
fn the_readme_protocol_examples_are_real_messages() {
    use shared::protocol::{parse_client_message, ErrorCode, ServerMessage};
    let readme = include_str!("../../README.md");
    let example = |line: &str| line.split('`').nth(1).map(str::to_owned);
    let client: Vec<String> =
        readme.lines().filter(|l| l.starts_with("| client → server |")).filter_map(example).collect();
    assert!(client.len() >= 7, "{client:?}");
    for text in &client {
        assert!(parse_client_message(text).is_ok(), "README example does not parse: {text}");
    }
    let server = |needle: &str| {
        let line = readme.lines().find(|l| l.starts_with("| server → client |") && l.contains(needle)).unwrap();
        serde_json::from_str::<ServerMessage>(&example(line).unwrap()).unwrap()
    };
    assert_eq!(server(r#""presenting""#), ServerMessage::Presenting);
    assert!(matches!(server("not_presenter"), ServerMessage::Error(e) if e.code == ErrorCode::NotPresenter));
}
