//! The server cannot be knocked over: who may connect (origin), how much one
//! address may take (connections, new rooms, likes), how big a room may get,
//! and how dead connections are found and closed. Real server, real sockets,
//! loopback only; every wait is bounded.

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

const SOON: Duration = Duration::from_secs(5);

/// Opens a WebSocket with an `Origin` header; returns the HTTP status of the
/// handshake (101 when upgraded) and the response body if it was refused.
async fn connect_with_origin(server: &Server, room: &str, origin: &str) -> (u16, String, Option<Ws>) {
    let mut request = server.ws_url(room).into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    let connected = tokio::time::timeout(SOON, tokio_tungstenite::connect_async(request)).await.expect("handshake");
    match connected {
        Ok((ws, response)) => (response.status().as_u16(), String::new(), Some(Ws::from(ws))),
        Err(tungstenite::Error::Http(response)) => {
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
            (response.status().as_u16(), body, None)
        }
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

#[tokio::test]
async fn a_foreign_origin_gets_403_and_the_same_host_is_upgraded() {
    let server = Server::start().await;
    let (status, body, _) = connect_with_origin(&server, "origins", "https://evil.example").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("https://evil.example") && body.contains("--allowed-origin"), "{body}");

    // The page this server served: Origin's host:port is the request's Host.
    let same = format!("http://{}", server.addr);
    let (status, _, ws) = connect_with_origin(&server, "origins", &same).await;
    assert_eq!(status, 101);
    let mut ws = ws.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");

    // No Origin at all (a non-browser client): allowed, as `join` does.
    let (_plain, snap) = server.join("origins").await;
    assert_eq!(viewers(&snap), 2);
}

#[tokio::test]
async fn listed_origins_are_allowed() {
    let server = Server::start_with(|c| {
        c.allowed_origins = backend::origin::AllowedOrigins::parse(["https://likewise.example"]).unwrap();
    })
    .await;
    let (status, _, _) = connect_with_origin(&server, "listed", "https://likewise.example").await;
    assert_eq!(status, 101);
    let (status, body, _) = connect_with_origin(&server, "listed", "https://other.example").await;
    assert_eq!(status, 403, "{body}");
}

/// What became of a connection attempt.
#[derive(Debug)]
enum Outcome {
    /// In the room (the snapshot arrived).
    Joined(Box<Ws>),
    /// Upgraded, then closed by the server before any snapshot.
    Closed(u16, String),
}

/// Connects to `room` with extra request headers, and reads the first message.
async fn attempt(server: &Server, room: &str, headers: &[(&'static str, &str)]) -> Outcome {
    let mut request = server.ws_url(room).into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().append(*name, value.parse().unwrap());
    }
    let (ws, _) = tokio::time::timeout(SOON, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake")
        .expect("upgrade");
    let mut ws = Ws::from(ws);
    let first = tokio::time::timeout(SOON, ws.next()).await.expect("no first message");
    match first {
        Some(Ok(Message::Text(text))) => {
            let snapshot: Value = serde_json::from_str(text.as_str()).unwrap();
            assert_eq!(snapshot["type"], "snapshot");
            Outcome::Joined(Box::new(ws))
        }
        Some(Ok(Message::Close(Some(frame)))) => Outcome::Closed(u16::from(frame.code), frame.reason.to_string()),
        other => panic!("expected a snapshot or a close frame, got {other:?}"),
    }
}

/// Asserts a refusal: close code 1013 and a reason containing `words`.
fn assert_refused(outcome: &Outcome, words: &str) {
    match outcome {
        Outcome::Closed(code, reason) => {
            assert_eq!(*code, 1013, "try again later: {reason}");
            assert!(reason.contains(words), "{reason:?} should say {words:?}");
        }
        Outcome::Joined(_) => panic!("expected a refusal ({words}), got a snapshot"),
    }
}

fn joined(outcome: Outcome) -> Ws {
    match outcome {
        Outcome::Joined(ws) => *ws,
        Outcome::Closed(code, reason) => panic!("refused: {code} {reason}"),
    }
}

#[tokio::test]
async fn connections_per_address_are_capped_and_given_back() {
    let server = Server::start_with(|c| c.per_address.max_connections = 3).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(joined(attempt(&server, "crowd", &[]).await));
    }
    assert_refused(&attempt(&server, "crowd", &[]).await, "too many connections from your address (limit 3)");
    // A closed connection gives its slot back (once the server has seen it go).
    open.pop().unwrap().close(None).await.unwrap();
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        match attempt(&server, "crowd", &[]).await {
            Outcome::Joined(ws) => {
                open.push(*ws);
                break;
            }
            refused => {
                assert!(tokio::time::Instant::now() < deadline, "slot never given back: {refused:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn the_proxy_address_counts_only_with_trust_proxy() {
    // Not trusted: X-Forwarded-For is ignored, everyone is 127.0.0.1.
    let server = Server::start_with(|c| c.per_address.max_connections = 1).await;
    let _a = joined(attempt(&server, "proxied", &[("x-forwarded-for", "198.51.100.1")]).await);
    assert_refused(&attempt(&server, "proxied", &[("x-forwarded-for", "198.51.100.2")]).await, "too many connections");

    // Trusted: the last X-Forwarded-For entry is the client.
    let server = Server::start_with(|c| {
        c.per_address.max_connections = 1;
        c.trust_proxy = true;
    })
    .await;
    let _a = joined(attempt(&server, "proxied", &[("x-forwarded-for", "198.51.100.1")]).await);
    let _b = joined(attempt(&server, "proxied", &[("x-forwarded-for", "198.51.100.1, 198.51.100.2")]).await);
    assert_refused(
        &attempt(&server, "proxied", &[("x-forwarded-for", "198.51.100.2, 198.51.100.1")]).await,
        "too many connections",
    );
}

#[tokio::test]
async fn new_rooms_per_address_are_rate_limited_but_joining_is_not() {
    let server = Server::start_with(|c| c.per_address.new_rooms_per_minute = 2).await;
    let _a = joined(attempt(&server, "first", &[]).await);
    let _b = joined(attempt(&server, "second", &[]).await);
    assert_refused(&attempt(&server, "third", &[]).await, "too many new rooms from your address (limit 2 a minute)");
    // Joining rooms that exist, and the public room, cost nothing.
    let _a2 = joined(attempt(&server, "first", &[]).await);
    let _p = joined(attempt(&server, "public", &[]).await);
}

#[tokio::test]
async fn the_public_room_opens_even_when_private_rooms_are_at_the_maximum() {
    let server = Server::start_with(|c| c.max_rooms = 2).await;
    let _a = joined(attempt(&server, "one", &[]).await);
    let _b = joined(attempt(&server, "two", &[]).await);
    assert_refused(&attempt(&server, "three", &[]).await, "maximum of 2 rooms");
    // The public room was not open yet; it opens anyway, and does not use a
    // private room's place.
    let (mut p, snap) = server.join("public").await;
    assert_eq!(snap["public"], true);
    assert_refused(&attempt(&server, "three", &[]).await, "maximum of 2 rooms");
    like(&mut p, "tokyo").await;
    wait_for(&mut p, SOON, |m| is_frame(m) && truth(m) == 1).await;
}

#[tokio::test]
async fn a_full_room_refuses_with_1013_and_a_reason() {
    let server = Server::start_with(|c| c.rooms.max_viewers = 2).await;
    let (mut a, _) = server.join("full").await;
    let (_b, _) = server.join("full").await;
    assert_refused(&attempt(&server, "full", &[]).await, "this room is full (2 viewers)");
    // Other rooms are not affected, and the room goes on.
    let _elsewhere = joined(attempt(&server, "not-full", &[]).await);
    like(&mut a, "sydney").await;
    wait_for(&mut a, SOON, |m| is_frame(m) && truth(m) == 1).await;
}

#[tokio::test]
async fn likes_are_limited_per_address_across_connections_and_all_accounted_for() {
    // Per connection 20/s (burst 40); per address 5/s, burst 10: two
    // connections together get about 10, not 80.
    let server = Server::start_with(|c| c.per_address.likes_per_second = 5).await;
    let (mut a, _) = server.join("shared-budget").await;
    let (mut b, _) = server.join("shared-budget").await;
    const EACH: u64 = 30;
    for _ in 0..EACH {
        like(&mut a, "mumbai").await;
        like(&mut b, "mumbai").await;
    }
    let mut refused = 0;
    let mut counted = 0;
    let deadline = tokio::time::Instant::now() + SOON;
    // Both sockets' errors, and the frames either one sees.
    while counted + refused < 2 * EACH && tokio::time::Instant::now() < deadline {
        for ws in [&mut a, &mut b] {
            if let Ok(msg) = tokio::time::timeout(Duration::from_millis(100), next_json(ws)).await {
                if msg["type"] == "error" {
                    assert_eq!(msg["code"], "rate_limited", "{msg}");
                    assert!(msg["message"].as_str().unwrap().contains("5 per address"), "{msg}");
                    refused += msg["count"].as_u64().unwrap_or(1);
                } else {
                    counted = counted.max(truth(&msg));
                }
            }
        }
    }
    assert_eq!(counted + refused, 2 * EACH, "counted {counted} + refused {refused}");
    assert!((10..=13).contains(&counted), "the address's burst, and a little refill: {counted}");
}

/// Pings every 100 ms, silence closes after 600 ms (six pings missed: a
/// margin for a busy test machine).
fn quick_liveness(c: &mut backend::app::Config) {
    c.limits.ping_interval = Duration::from_millis(100);
    c.limits.idle_timeout = Duration::from_millis(600);
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_the_room_goes_on() {
    let server = Server::start_with(quick_liveness).await;
    let (mut watcher, _) = server.join("liveness").await;
    // The silent one joins and reads nothing, so it answers no ping.
    let started = tokio::time::Instant::now();
    let (mut silent, _) = server.join("liveness").await;
    wait_for(&mut watcher, SOON, |m| is_frame(m) && viewers(m) == 2).await;
    // Meanwhile the watcher reads, and so answers pings.
    let until = tokio::time::Instant::now() + Duration::from_millis(900);
    while let Ok(msg) = tokio::time::timeout_at(until, watcher.next()).await {
        assert!(matches!(msg, Some(Ok(ref m)) if !m.is_close()), "the watcher must stay: {msg:?}");
    }
    // When it wakes up, past the idle timeout, it finds a close frame with a
    // reason (the server lingers briefly for the closing handshake).
    let (code, reason) = closed_with(&mut silent, SOON).await.expect("a close frame");
    assert_eq!(code, 1001);
    assert!(reason.contains("no answer to pings"), "{reason}");
    // The watcher sees the silent one go.
    wait_for(&mut watcher, SOON, |m| is_frame(m) && viewers(m) == 1).await;
    assert!(started.elapsed() >= Duration::from_millis(600), "not before the idle timeout");
    // The room goes on.
    like(&mut watcher, "frankfurt").await;
    wait_for(&mut watcher, SOON, |m| is_frame(m) && truth(m) == 1).await;
}

#[tokio::test]
async fn a_client_that_only_answers_pings_stays_connected() {
    let server = Server::start_with(quick_liveness).await;
    let (mut quiet, _) = server.join("pongs").await;
    // Read (tungstenite answers each ping with a pong) but send nothing,
    // for three idle timeouts.
    let until = tokio::time::Instant::now() + Duration::from_millis(1800);
    let mut pings = 0;
    while let Ok(msg) = tokio::time::timeout_at(until, quiet.next()).await {
        match msg {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(Message::Close(frame))) => panic!("closed while answering pings: {frame:?}"),
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    }
    assert!(pings >= 8, "the server pings every 100 ms: {pings} pings");
    like(&mut quiet, "tokyo").await;
    wait_for(&mut quiet, SOON, |m| is_frame(m) && truth(m) == 1).await;
}

#[tokio::test]
async fn a_viewer_whose_socket_is_full_is_dropped_by_the_send_deadline_not_the_room() {
    // Pings and the idle timeout stay at their defaults (20 s, 60 s): what
    // drops the stuck viewer here is the send deadline alone. Small server
    // send buffers (accepted sockets inherit the listener's), or loopback's
    // auto-tuned megabytes would take a minute of frames to fill.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let server = Server::start_on(socket.listen(64).unwrap(), |c| {
        c.limits.send_timeout = Duration::from_millis(300);
        c.limits.likes_per_second = 1000;
        c.limits.like_burst = 1000;
    })
    .await;
    let (mut watcher, _) = server.join("full-socket").await;
    // The stuck viewer: a tiny receive buffer, and it stops reading after
    // the snapshot, so the server's sends soon cannot complete.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (stuck, _) = tokio_tungstenite::client_async(server.ws_url("full-socket"), stream).await.unwrap();
    let mut stuck = Ws::from(stuck);
    assert_eq!(next_json(&mut stuck).await["type"], "snapshot");
    let started = tokio::time::Instant::now();
    // The watcher keeps the room busy (frames every ~33 ms) and watches the
    // viewer count until the stuck one is gone.
    let mut likes = 0u64;
    loop {
        assert!(started.elapsed() < Duration::from_secs(15), "the stuck viewer was never dropped");
        like(&mut watcher, ["tokyo", "saopaulo"][likes as usize % 2]).await;
        likes += 1;
        let msg = tokio::time::timeout(Duration::from_secs(2), next_json(&mut watcher)).await.expect("watcher starved");
        if is_frame(&msg) && viewers(&msg) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("stuck viewer dropped after {:?}", started.elapsed());
    // The room goes on for the one who reads.
    let truth_now = wait_for(&mut watcher, SOON, is_frame).await;
    like(&mut watcher, "sydney").await;
    wait_for(&mut watcher, SOON, |m| is_frame(m) && truth(m) > truth(&truth_now)).await;
    drop(stuck);
}
