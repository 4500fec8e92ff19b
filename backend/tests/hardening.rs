//! The server cannot be knocked over: who may connect (origin), how much one
//! address may take (connections, new rooms, likes), how big a room may get,
//! and how dead connections are found and closed. Real server, real sockets,
//! loopback only; every wait is bounded.

mod common;

use common::*;
use std::time::Duration;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SOON: Duration = Duration::from_secs(5);

/// Opens a WebSocket with an `Origin` header; returns the HTTP status of the
/// handshake (101 when upgraded) and the response body if it was refused.
async fn connect_with_origin(server: &Server, room: &str, origin: &str) -> (u16, String, Option<Ws>) {
    let mut request = server.ws_url(room).into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    let connected = tokio::time::timeout(SOON, tokio_tungstenite::connect_async(request)).await.expect("handshake");
    match connected {
        Ok((ws, response)) => (response.status().as_u16(), String::new(), Some(ws)),
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
