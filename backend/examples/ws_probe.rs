//! A one-shot WebSocket check for deployment tests: connects to a room,
//! expects the snapshot, optionally likes once and waits for a frame that
//! counts it, then exits 0 — or prints why not and exits 1. Bounded in time.
//!
//! ```sh
//! cargo run -p backend --example ws_probe -- --url ws://127.0.0.1:8080/ws/probe --like tokyo
//! ```
//!
//! `tests/nginx/run.sh` uses it to check that a WebSocket upgrade works
//! through the reverse proxy; `--origin` sends an `Origin` header as a
//! browser would (the server refuses foreign origins with HTTP 403).

use futures_util::{SinkExt, StreamExt};
use std::process::ExitCode;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

struct Args {
    url: String,
    origin: Option<String>,
    like: Option<String>,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { url: String::new(), origin: None, like: None, timeout: Duration::from_secs(10) };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => args.url = value,
            "--origin" => args.origin = Some(value),
            "--like" => args.like = Some(value),
            "--timeout-secs" => {
                let secs: u64 = value.parse().map_err(|_| "--timeout-secs: a number".to_owned())?;
                args.timeout = Duration::from_secs(secs.clamp(1, 120));
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.url.is_empty() {
        return Err("--url ws://host:port/ws/room is required".into());
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("ws_probe: {e}");
            return ExitCode::from(2);
        }
    };
    match tokio::time::timeout(args.timeout, probe(&args)).await {
        Ok(Ok(report)) => {
            println!("ws_probe: ok: {report}");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("ws_probe: FAILED: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("ws_probe: FAILED: no answer within {:?}", args.timeout);
            ExitCode::FAILURE
        }
    }
}

async fn probe(args: &Args) -> Result<String, String> {
    let mut request = args.url.as_str().into_client_request().map_err(|e| format!("bad url: {e}"))?;
    if let Some(origin) = &args.origin {
        request.headers_mut().insert("Origin", origin.parse().map_err(|_| "bad --origin")?);
    }
    let (mut ws, response) =
        tokio_tungstenite::connect_async(request).await.map_err(|e| format!("handshake failed: {e}"))?;
    let snapshot = next_json(&mut ws).await?;
    if snapshot["type"] != "snapshot" {
        return Err(format!("expected a snapshot first, got {snapshot}"));
    }
    let mut report = format!(
        "HTTP {} upgrade, snapshot of room {} with {} regions",
        response.status().as_u16(),
        snapshot["room"],
        snapshot["regions"].as_array().map_or(0, Vec::len)
    );
    if let Some(region) = &args.like {
        let before = snapshot["frame"]["sim"]["truth"]["total"].as_u64().unwrap_or(0);
        let like = serde_json::json!({ "type": "like", "region": region }).to_string();
        ws.send(Message::text(like)).await.map_err(|e| format!("send failed: {e}"))?;
        loop {
            let msg = next_json(&mut ws).await?;
            if msg["type"] == "error" {
                return Err(format!("the like was refused: {msg}"));
            }
            let total = msg["sim"]["truth"]["total"].as_u64().unwrap_or(0);
            if msg["type"] == "frame" && total > before {
                report.push_str(&format!("; a like in {region} counted (total {total})"));
                break;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(report)
}

async fn next_json(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Result<serde_json::Value, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).map_err(|e| format!("invalid JSON: {e}"))
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed by the server: {frame:?}")),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("read failed: {e}")),
            None => return Err("the connection ended".into()),
        }
    }
}
