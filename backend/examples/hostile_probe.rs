//! Probes a running server (loopback, `--no-storage`) with requests that
//! are valid and within the per-connection rate, but costly to answer:
//! `export` of a room with a long log, `seek`, and (`--kind import`)
//! `POST /api/import` of a run the server must parse whole to refuse. One watcher measures the
//! longest gap between the frames it gets while `--attackers` connections
//! send `--kind` requests as fast as the rate limit lets them, for
//! `--seconds`. Bounded in count and time.
//!
//! ```sh
//! cargo build --release -p backend --bin likewise --example hostile_probe
//! target/release/likewise --addr 127.0.0.1:18931 --no-storage &
//! target/release/examples/hostile_probe --addr 127.0.0.1:18931 --inputs 150000 --attackers 10 --kind export
//! ```

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_owned())
}

async fn post(addr: &str, path: &str, body: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_string(&mut response)).await.expect("answer").ok();
    response
}

#[tokio::main]
async fn main() {
    let addr = arg("--addr", "127.0.0.1:18931");
    let inputs: u64 = arg("--inputs", "150000").parse().unwrap_or(150_000);
    let attackers: usize = arg("--attackers", "10").parse().unwrap_or(10);
    let seconds: u64 = arg("--seconds", "10").parse().unwrap_or(10);
    let kind = arg("--kind", "export");
    // `--read 0`: attackers never read, so what the server sends them piles up.
    let read = arg("--read", "1") != "0";
    let regions = ["tokyo", "sydney", "mumbai", "frankfurt", "virginia", "saopaulo"];
    let list: Vec<String> = (0..inputs)
        .map(|i| format!(r#"{{"at":{},"command":{{"type":"like","args":"{}"}}}}"#, i * 10, regions[i as usize % 6]))
        .collect();
    let until = inputs * 10 + 1;
    let body = format!(
        r#"{{"format":1,"seed":7,"config":{{"seed":7,"time_scale":1.0,"strategy":{{"kind":"event_push","anti_entropy_ms":4000}},"durable":true}},"inputs":[{}],"until_ms":{until}}}"#,
        list.join(",")
    );
    println!("import body: {} bytes", body.len());
    let started = Instant::now();
    let answer = post(&addr, "/api/import", &body).await;
    let room = answer.split("\"room\":\"").nth(1).and_then(|r| r.split('"').next()).expect("a room").to_owned();
    println!("imported into {room} in {:?}", started.elapsed());
    let url = format!("ws://{addr}/ws/{room}");
    let started = Instant::now();
    let (watcher, _) = tokio_tungstenite::connect_async(&url).await.expect("watcher");
    println!("watcher joined in {:?}", started.elapsed());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // The watcher likes every 100 ms, so a room that keeps up publishes a
    // frame every ~100 ms or sooner.
    let (mut likes, mut watcher) = watcher.split();
    tokio::spawn(async move {
        while Instant::now() < deadline {
            let _ = likes.send(Message::text(r#"{"type":"like","region":"tokyo"}"#)).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let request = match kind.as_str() {
        "seek" => r#"{"type":"seek","at_ms":7000000}"#.to_owned(),
        _ => r#"{"type":"export"}"#.to_owned(),
    };
    let mut tasks = Vec::new();
    // `--kind import`: each attacker posts the same run again and again, as
    // format 2, which the server parses whole before refusing it.
    let refused_body = std::sync::Arc::new(body.replacen(r#""format":1"#, r#""format":2"#, 1));
    for _ in 0..attackers {
        if kind == "import" {
            let (addr, body) = (addr.clone(), refused_body.clone());
            tasks.push(tokio::spawn(async move {
                let (mut answers, mut refused) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let answer = post(&addr, "/api/import", &body).await;
                    if answer.starts_with("HTTP/1.1 400") {
                        refused += 1;
                    } else {
                        answers += 1;
                    }
                }
                (answers, 0, refused)
            }));
            continue;
        }
        let (url, request) = (url.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let Ok((ws, _)) = tokio_tungstenite::connect_async(&url).await else { return (0, 0, 0) };
            let (mut tx, mut rx) = ws.split();
            // Read (and count) in the background: a reading attacker is the
            // one that makes the server do the most work.
            let reader = tokio::spawn(async move {
                let (mut answers, mut bytes, mut limited) = (0u64, 0u64, 0u64);
                if !read {
                    tokio::time::sleep_until((deadline + Duration::from_secs(1)).into()).await;
                    drop(rx);
                    return (answers, bytes, limited);
                }
                while let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_secs(2), rx.next()).await
                {
                    if t.contains(r#""type":"error""#) {
                        limited += 1;
                    } else if t.starts_with(r#"{"type":"run""#) || t.starts_with(r#"{"type":"past""#) {
                        answers += 1;
                        bytes += t.len() as u64;
                    }
                }
                (answers, bytes, limited)
            });
            while Instant::now() < deadline {
                if tx.send(Message::text(request.clone())).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            reader.await.unwrap_or((0, 0, 0))
        }));
    }
    let (mut frames, mut worst, mut last) = (0u64, Duration::ZERO, Instant::now());
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), watcher.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => {
                frames += 1;
                worst = worst.max(last.elapsed());
                last = Instant::now();
            }
            Ok(Some(Ok(_))) => {}
            _ => {
                worst = worst.max(last.elapsed());
                break;
            }
        }
    }
    let (mut answers, mut bytes, mut limited) = (0, 0, 0);
    for t in tasks {
        let (a, b, l) = t.await.unwrap_or((0, 0, 0));
        (answers, bytes, limited) = (answers + a, bytes + b, limited + l);
    }
    println!(
        "{kind} x{attackers} for {seconds}s: watcher got {frames} messages, longest gap {worst:?}; \
         attackers got {answers} answers ({} MB), {limited} errors",
        bytes / 1_000_000
    );
}
