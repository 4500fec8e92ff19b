//! What remembering costs: prints the figures quoted in the README's
//! "Rooms remember" section.
//!
//! 1. **Append latency with group commit**: 1,000 likes a second for 5 s,
//!    spread over 10 rooms, straight into the storage thread
//!    (`synchronous=FULL`); latency is from the append to its
//!    acknowledgement — what a like waits before any frame may show it.
//! 2. **Restore**: a room with one hour of history at 10 likes a second
//!    (36,000 likes) is imported, the server restarted, and the time from
//!    opening the WebSocket to the snapshot is measured: loading the log,
//!    parsing it, replaying it (taking checkpoints), the first frame.
//! 3. **Seek**: in that room, 200 seeks to random moments, from sending
//!    `seek` to receiving `past`.
//!
//! `cargo run --release -p backend --example remember`

use backend::app::Config;
use backend::assets::Assets;
use backend::store::{Committed, InputRow, RoomRow, Store};
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use shared::protocol::{Command, RoomId};
use shared::region::RegionId;
use shared::sim::replay::{Input, Run, RUN_FORMAT};
use shared::sim::SimConfig;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    append_latency(dir.path()).await?;
    restore_and_seek(dir.path()).await
}

async fn append_latency(dir: &std::path::Path) -> anyhow::Result<()> {
    let store = Store::open(&dir.join("append"), Duration::from_secs(3600))?;
    let rooms: Vec<RoomId> = (0..10).map(|i| RoomId::parse(&format!("bench{i}")).unwrap()).collect();
    let config = SimConfig::default();
    for room in &rooms {
        store.create(
            room,
            RoomRow {
                seed: config.seed,
                config_json: serde_json::to_string(&config)?,
                format: RUN_FORMAT,
                presenter: None,
            },
        )?;
    }
    let (ack, mut acks) = tokio::sync::mpsc::unbounded_channel::<Committed>();
    let like = serde_json::to_string(&Command::Like(RegionId::parse("tokyo").unwrap()))?;
    let total = 5_000u64;
    let mut sent_at = Vec::with_capacity(total as usize);
    let start = Instant::now();
    let receiver = tokio::spawn(async move {
        let mut got = Vec::with_capacity(total as usize);
        while got.len() < total as usize {
            match acks.recv().await {
                Some(c) => got.push((c.seq, Instant::now(), c.result.is_ok())),
                None => break,
            }
        }
        got
    });
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    for seq in 0..total {
        tick.tick().await;
        let room = &rooms[(seq % 10) as usize];
        sent_at.push(Instant::now());
        store.append(room, InputRow { seq, at_ms: seq, command_json: like.clone() }, &ack)?;
    }
    let got = receiver.await?;
    let elapsed = start.elapsed();
    let mut latencies: Vec<Duration> = got.iter().map(|&(seq, at, _)| at - sent_at[seq as usize]).collect();
    latencies.sort();
    let ok = got.iter().filter(|g| g.2).count();
    println!("## Append with group commit (synchronous=FULL, WAL)");
    println!(
        "{} likes in {:.2} s ({:.0}/s), {ok} committed: p50 {}, p99 {}, max {}",
        got.len(),
        elapsed.as_secs_f64(),
        got.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
    );
    Ok(())
}

async fn restore_and_seek(dir: &std::path::Path) -> anyhow::Result<()> {
    // One hour at 10 likes a second, from random regions.
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let config = SimConfig { seed: 42, ..SimConfig::default() };
    let inputs: Vec<Input> = (0..36_000u64)
        .map(|i| Input {
            at: i * 100,
            command: Command::Like(RegionId::from_index(rng.random_range(0..RegionId::COUNT)).unwrap()),
        })
        .collect();
    let until_ms = 3_600_000;
    let run = Run { format: RUN_FORMAT, seed: config.seed, config, inputs, until_ms };
    let t = Instant::now();
    let sim = run.replay();
    let replay_only = t.elapsed();
    let t = Instant::now();
    let clones: Vec<_> = (0..10).map(|_| sim.clone()).collect();
    let clone = t.elapsed() / 10;
    drop(clones);
    let data = dir.join("restore");
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist)?;
    std::fs::write(dist.join("index.html"), "<!doctype html>")?;

    // Import it, then restart.
    let (addr, stop, done) = start(&data, &dist).await?;
    let body = serde_json::to_string(&run)?;
    let room = post_import(addr, &body).await?;
    // The import is stored before the room takes anyone in: join once.
    let _ = connect(addr, &room).await?;
    let _ = stop.send(());
    let _ = done.await;

    let (addr, stop, done) = start(&data, &dist).await?;
    let mut restores = Vec::new();
    let (mut ws, took) = connect(addr, &room).await?;
    restores.push(took);
    println!("## Restore (one hour at 10 likes/s = 36,000 likes)");
    println!("first visit after a restart, WebSocket open to snapshot: {}", ms(took));
    println!(
        "(of which the bare replay, in memory: {}; one checkpoint copy of the final room: {})",
        ms(replay_only),
        ms(clone)
    );

    let mut seeks = Vec::new();
    for _ in 0..200 {
        let at = rng.random_range(0..until_ms);
        let sent = Instant::now();
        ws.send(Message::text(format!(r#"{{"type":"seek","at_ms":{at}}}"#))).await?;
        loop {
            let Some(msg) = ws.next().await else { anyhow::bail!("socket closed") };
            if let Message::Text(text) = msg? {
                if text.as_str().starts_with(r#"{"type":"past""#) {
                    break;
                }
                anyhow::ensure!(!text.as_str().starts_with(r#"{"type":"error""#), "{text}");
            }
        }
        seeks.push(sent.elapsed());
    }
    seeks.sort();
    println!("## Seek (200 random moments in that hour, round trip on loopback)");
    println!(
        "p50 {}, p99 {}, max {}",
        ms(percentile(&seeks, 0.5)),
        ms(percentile(&seeks, 0.99)),
        ms(*seeks.last().unwrap())
    );
    let _ = stop.send(());
    let _ = done.await;
    Ok(())
}

type Running = (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>);

async fn start(data: &std::path::Path, dist: &std::path::Path) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config =
        Config { assets: Assets::Dir(dist.to_owned()), data_dir: Some(data.to_owned()), ..Config::default() };
    // Seeks count against the message budget; this measures seeks, not it.
    config.limits.likes_per_second = 100_000;
    config.limits.like_burst = 100_000;
    config.per_address.likes_per_second = 0;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(backend::serve(listener, config, async {
        let _ = stopped.await;
    }));
    Ok((addr, stop, done))
}

async fn connect(
    addr: std::net::SocketAddr,
    room: &str,
) -> anyhow::Result<(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Duration,
)> {
    let started = Instant::now();
    // No Nagle: a seek is a small write right after others.
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{addr}/ws/{room}"), None, true).await?;
    loop {
        let Some(msg) = ws.next().await else { anyhow::bail!("socket closed") };
        if let Message::Text(text) = msg? {
            anyhow::ensure!(text.as_str().starts_with(r#"{"type":"snapshot""#), "expected the snapshot");
            return Ok((ws, started.elapsed()));
        }
    }
}

async fn post_import(addr: std::net::SocketAddr, body: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST /api/import HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let json = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(json)?;
    value["room"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("import failed: {response}"))
}
