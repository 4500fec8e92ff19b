//! Load generator: many viewers and some likers on one room, over real
//! WebSockets, against a running server. Bounded in count and time, loopback
//! by default.
//!
//! ```sh
//! cargo run --release -p backend --bin likewise -- --addr 127.0.0.1:8080 \
//!     --max-connections-per-ip 10000 --likes-per-second-per-ip 0 &
//! cargo run --release -p backend --example loadgen -- --viewers 2000 --likers 100 --seconds 20
//! ```
//!
//! It reports how long joins took, how many frames each viewer received per
//! second (the server coalesces to ≤ 30), and the like-to-visible latency: the
//! time from a probe sending a like to the first frame, on its own socket,
//! whose ground truth includes it — while every other connection loads the
//! same room.
//!
//! Every connection comes from one address (loopback), so the server's
//! per-address limits (50 connections, 100 likes a second) must be lifted
//! as above, or most connections are refused with close code 1013.

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

struct Args {
    url: String,
    room: String,
    viewers: usize,
    likers: usize,
    seconds: u64,
    like_interval_ms: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: "ws://127.0.0.1:8080".into(),
        room: format!("load-{}", std::process::id()),
        viewers: 500,
        likers: 20,
        seconds: 10,
        like_interval_ms: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value,
            "--room" => args.room = value,
            "--viewers" => args.viewers = value.parse().expect("--viewers: a number"),
            "--likers" => args.likers = value.parse().expect("--likers: a number"),
            "--seconds" => args.seconds = value.parse().expect("--seconds: a number"),
            "--like-interval-ms" => args.like_interval_ms = value.parse().expect("--like-interval-ms: a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(args.viewers + args.likers <= 10_000, "bounded: at most 10 000 connections");
    assert!(args.seconds <= 300, "bounded: at most 300 s");
    args
}

/// Likes accepted in São Paulo according to a frame (catalog index 5).
fn saopaulo_truth(text: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let frame = if v["type"] == "snapshot" { &v["frame"] } else { &v };
    frame["sim"]["truth"]["per_region"][5].as_u64()
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let url = format!("{}/ws/{}", args.url.trim_end_matches('/'), args.room);
    let frames = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);

    // Viewers: connect, then count frames until the deadline.
    let mut join_ms = Vec::new();
    let mut viewers = Vec::new();
    let start = Instant::now();
    for _ in 0..args.viewers {
        let t = Instant::now();
        let (ws, _) = tokio_tungstenite::connect_async(&url).await.expect("viewer connect");
        join_ms.push(t.elapsed().as_millis() as u64);
        let (frames, bytes) = (frames.clone(), bytes.clone());
        viewers.push(tokio::spawn(async move {
            let (_sink, mut stream) = ws.split();
            while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline.into(), stream.next()).await {
                if let Message::Text(t) = msg {
                    frames.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(t.len() as u64, Ordering::Relaxed);
                }
            }
        }));
    }
    let connect_all = start.elapsed();

    // Likers load the room from five regions; one probe likes in São Paulo
    // only, so a frame whose São Paulo ground truth reaches the probe's own
    // count is exactly the first frame that includes the probe's like.
    let regions = ["tokyo", "sydney", "mumbai", "frankfurt", "virginia"];
    let mut likers = Vec::new();
    for i in 0..=args.likers {
        let probe = i == args.likers;
        let region = if probe { "saopaulo" } else { regions[i % regions.len()] };
        let (ws, _) = tokio_tungstenite::connect_async(&url).await.expect("liker connect");
        let interval = Duration::from_millis(args.like_interval_ms);
        likers.push(tokio::spawn(async move {
            let (mut sink, mut stream) = ws.split();
            let mut latencies = Vec::new();
            let mut ticker = tokio::time::interval(interval);
            let mut sent_at: Option<Instant> = None;
            let mut sent = 0u64;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline.into()) => break,
                    _ = ticker.tick(), if sent_at.is_none() => {
                        let msg = format!(r#"{{"type":"like","region":"{region}"}}"#);
                        if sink.send(Message::text(msg)).await.is_err() { break; }
                        sent += 1;
                        sent_at = probe.then(Instant::now);
                    }
                    msg = stream.next() => match msg {
                        Some(Ok(Message::Text(t))) => {
                            if let (Some(at), Some(n)) = (sent_at, saopaulo_truth(t.as_str())) {
                                if n >= sent {
                                    latencies.push(at.elapsed().as_micros() as u64);
                                    sent_at = None;
                                }
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for l in likers {
        latencies.extend(l.await.unwrap_or_default());
    }
    for v in viewers {
        let _ = v.await;
    }
    latencies.sort_unstable();
    join_ms.sort_unstable();
    let secs = args.seconds as f64;
    let per_viewer = frames.load(Ordering::Relaxed) as f64 / args.viewers.max(1) as f64 / secs;
    println!("| metric | value |");
    println!("|---|---|");
    println!("| viewers / likers | {} / {} |", args.viewers, args.likers);
    println!("| connect all viewers | {:.2} s |", connect_all.as_secs_f64());
    println!("| join p50 / p99 | {} / {} ms |", percentile(&join_ms, 0.5), percentile(&join_ms, 0.99));
    println!("| frames per viewer per second | {per_viewer:.1} |");
    println!(
        "| bytes pushed per second (all viewers) | {:.1} MB/s |",
        bytes.load(Ordering::Relaxed) as f64 / secs / 1e6
    );
    println!("| probe likes timed | {} |", latencies.len());
    println!(
        "| like → own frame p50 / p99 / max | {:.1} / {:.1} / {:.1} ms |",
        percentile(&latencies, 0.5) as f64 / 1000.0,
        percentile(&latencies, 0.99) as f64 / 1000.0,
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );
}
