//! Test harness: a real server on an ephemeral loopback port and a real
//! WebSocket client. Every wait is bounded, so a broken server fails a test
//! instead of hanging it.

#![allow(dead_code)]

use backend::app::Config;
use backend::assets::Assets;
use backend::room::RoomSettings;
use backend::ws::ConnectionLimits;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A test client: the socket plus the last full frame it holds, so that
/// [`next_json`] can hand tests whole frames while the server sends deltas
/// (the way the browser does, see `shared::protocol::delta`). Derefs to the
/// socket for everything else.
pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    held: Option<Value>,
    /// Deltas received, and deltas that could not be applied (a gap).
    pub deltas: u64,
    pub gaps: u64,
}

impl std::fmt::Debug for Ws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ws").field("deltas", &self.deltas).field("gaps", &self.gaps).finish()
    }
}

impl From<WebSocketStream<MaybeTlsStream<TcpStream>>> for Ws {
    fn from(socket: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Ws {
        Ws { socket, held: None, deltas: 0, gaps: 0 }
    }
}

impl std::ops::Deref for Ws {
    type Target = WebSocketStream<MaybeTlsStream<TcpStream>>;
    fn deref(&self) -> &Self::Target {
        &self.socket
    }
}

impl std::ops::DerefMut for Ws {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.socket
    }
}

pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dist: PathBuf,
}

impl Server {
    /// A fast server: delays at a tenth of the demo's, so tests run quickly.
    pub async fn start() -> Server {
        Server::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Server::start_on(listener, tweak).await
    }

    /// On a listener of the test's own making (e.g. with small socket
    /// buffers, which accepted sockets inherit).
    pub async fn start_on(listener: tokio::net::TcpListener, tweak: impl FnOnce(&mut Config)) -> Server {
        let dist = std::env::temp_dir().join(format!("likewise-test-dist-{}", rand_suffix()));
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html><title>Likewise test</title>").unwrap();
        std::fs::write(dist.join("app.css"), "body{}").unwrap();
        let mut config = Config {
            assets: Assets::Dir(dist.clone()),
            rooms: RoomSettings { time_scale: 0.1, ..RoomSettings::default() },
            limits: ConnectionLimits::default(),
            ..Config::default()
        };
        tweak(&mut config);
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(backend::serve(listener, config, async {
            let _ = stopped.await;
        }));
        Server { addr, stop: Some(stop), done: Some(done), _dist: dist }
    }

    pub fn ws_url(&self, room: &str) -> String {
        format!("ws://{}/ws/{room}", self.addr)
    }

    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Joins a room and returns the client with the snapshot it got.
    pub async fn join(&self, room: &str) -> (Ws, Value) {
        let (ws, _) = tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(self.ws_url(room)))
            .await
            .expect("connect timed out")
            .expect("connect failed");
        let mut ws = Ws::from(ws);
        let snapshot = next_json(&mut ws).await;
        assert_eq!(snapshot["type"], "snapshot", "first message is the snapshot: {snapshot}");
        (ws, snapshot)
    }

    /// A plain HTTP GET; returns (status, body).
    pub async fn get(&self, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response)).await.unwrap().unwrap();
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }
}

impl Server {
    /// A plain HTTP POST of a JSON body; returns (status, body).
    pub async fn post(&self, path: &str, body: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response)).await.unwrap().unwrap();
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// The next text message as JSON (fails after 5 s). A delta comes out as
/// the whole frame it makes, `{"type":"frame",…}`; one that does not follow
/// on from the frame held is counted in `gaps` and skipped.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.socket.next())
            .await
            .expect("no message within 5 s")
            .expect("socket ended")
            .expect("socket error");
        match msg {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("server sent invalid JSON");
                match value["type"].as_str() {
                    Some("frame") => ws.held = Some(value.clone()),
                    Some("delta") => {
                        ws.deltas += 1;
                        let applied = match ws.held.as_mut() {
                            Some(held) => shared::protocol::delta::apply_frame_delta(held, &value).is_ok(),
                            None => false,
                        };
                        if !applied {
                            ws.gaps += 1;
                            continue;
                        }
                        return ws.held.clone().unwrap_or_default();
                    }
                    _ => {}
                }
                return value;
            }
            Message::Close(frame) => panic!("socket closed: {frame:?}"),
            _ => continue,
        }
    }
}

/// Reads messages until one satisfies `pred` (fails after `within`).
pub async fn wait_for(ws: &mut Ws, within: Duration, mut pred: impl FnMut(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = tokio::time::timeout(left, next_json(ws)).await.expect("condition not met in time");
        if pred(&msg) {
            return msg;
        }
    }
}

/// A server that stores its rooms in `dir` (start another on the same
/// `dir` to restart it on the same rooms).
pub async fn stored_server(dir: &std::path::Path) -> Server {
    let dir = dir.to_owned();
    Server::start_with(move |c| c.data_dir = Some(dir)).await
}

/// Stops a server and waits (bounded) until it has closed every connection.
pub async fn shut(mut server: Server) {
    server.stop();
    if let Some(done) = server.done.take() {
        let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
    }
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("send failed");
}

pub async fn like(ws: &mut Ws, region: &str) {
    send(ws, &format!(r#"{{"type":"like","region":"{region}"}}"#)).await;
}

/// The frame inside a snapshot or frame message.
pub fn frame(msg: &Value) -> &Value {
    if msg["type"] == "snapshot" {
        &msg["frame"]
    } else {
        msg
    }
}

pub fn truth(msg: &Value) -> u64 {
    frame(msg)["sim"]["truth"]["total"].as_u64().unwrap_or(u64::MAX)
}

/// The likes acknowledged at each origin, in catalog order.
pub fn per_region(msg: &Value) -> Vec<u64> {
    frame(msg)["sim"]["truth"]["per_region"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_u64().unwrap_or(0)).collect())
        .unwrap_or_default()
}

/// The room's strategy kind.
pub fn strategy(msg: &Value) -> &str {
    frame(msg)["sim"]["strategy"].as_str().unwrap_or("")
}

pub fn count(msg: &Value, region: &str) -> u64 {
    frame(msg)["sim"]["replicas"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["region"] == region))
        .and_then(|r| r["value"].as_u64())
        .unwrap_or(u64::MAX)
}

pub fn viewers(msg: &Value) -> u64 {
    frame(msg)["viewers"].as_u64().unwrap_or(u64::MAX)
}

/// Every region shows `n`.
pub fn all_at(msg: &Value, n: u64) -> bool {
    frame(msg)["sim"]["replicas"].as_array().is_some_and(|rs| rs.iter().all(|r| r["value"] == n))
}

/// The verdict has judged the room: nothing can change a replica any more.
/// Only then are `verdict.lost` and `verdict.double_counted` numbers (they
/// are `null` while the room settles).
pub fn settled(msg: &Value) -> bool {
    frame(msg)["sim"]["verdict"]["settled"] == true
}

/// The room's one status: `"settled"` or `"settling"`.
pub fn status(msg: &Value) -> &str {
    frame(msg)["sim"]["consistency"]["state"].as_str().unwrap_or("")
}

pub fn is_frame(msg: &Value) -> bool {
    msg["type"] == "frame"
}

/// Reads until the server closes the socket: its close code and reason, or
/// None when it ended without a close frame.
pub async fn closed_with(ws: &mut Ws, within: Duration) -> Option<(u16, String)> {
    tokio::time::timeout(within, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Some((u16::from(frame.code), frame.reason.to_string()))
                }
                None | Some(Err(_)) | Some(Ok(Message::Close(None))) => return None,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("the server did not close the socket in time")
}

/// After another connection to the room was closed: `bystander` likes, and
/// the frame that shows it (within `within`) counts it as the room's only
/// viewer.
pub async fn alone_after_a_like(bystander: &mut Ws, within: Duration) {
    like(bystander, "sydney").await;
    let after = wait_for(bystander, within, |m| is_frame(m) && truth(m) == 1).await;
    assert_eq!(viewers(&after), 1, "the closed client left the room");
}
