//! Measures two `likewise` instances on one Redis (`--redis`): what the
//! broker carries per frame, frames per viewer on the owner and on the
//! relay, like → frame through the relay, and the failover time after a
//! SIGKILL of the owner. Loopback only, bounded in count and time; it starts
//! its own `redis-server` (AOF on, `appendfsync always`, in a temporary
//! directory) and its own instances from `--bin`:
//!
//! ```sh
//! cargo build --release -p backend --bin likewise --example cluster_probe
//! target/release/examples/cluster_probe --bin target/release/likewise \
//!     --viewers 500 --seconds 10 --kills 5
//! ```
//!
//! - *steady window*: `--viewers` viewers on each instance (the owner, A,
//!   gets the room's first viewer), 5 likers on each instance liking every
//!   100 ms; Redis's `INFO` counters (publishes, bytes in and out) are taken
//!   at both ends of the window.
//! - *like → frame*: a probe on the relay (B) likes in São Paulo every
//!   200 ms (no liker does); a watcher on A and one on B time the first frame
//!   showing each probe like. It includes the simulated 0 ms of a like in its
//!   own region, the owner's storage commit in Redis and the frame pacing.
//! - *failover*: `--kills` times, SIGKILL the owner, time until the
//!   survivor's watcher gets the new owner's snapshot and until a like sent
//!   through the survivor after the kill shows; then start a fresh instance
//!   as the next relay.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const MAX_VIEWERS: usize = 2_000;
const MAX_SECONDS: u64 = 60;
const MAX_KILLS: usize = 10;
const ROOM: &str = "probe";

struct Args {
    bin: String,
    viewers: usize,
    seconds: u64,
    kills: usize,
    /// Redis's `appendfsync`: `always` (every acknowledged like on disk,
    /// as SQLite's synchronous=FULL) or `everysec`.
    fsync: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a =
        Args { bin: "target/release/likewise".into(), viewers: 200, seconds: 10, kills: 3, fsync: "always".into() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bin" => a.bin = value,
            "--viewers" => a.viewers = value.parse::<usize>()?.min(MAX_VIEWERS),
            "--seconds" => a.seconds = value.parse::<u64>()?.clamp(1, MAX_SECONDS),
            "--kills" => a.kills = value.parse::<usize>()?.min(MAX_KILLS),
            "--fsync" => {
                anyhow::ensure!(["always", "everysec"].contains(&value.as_str()), "--fsync always|everysec");
                a.fsync = value;
            }
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn instance(bin: &str, redis: &str) -> anyhow::Result<(Proc, u16)> {
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--redis", redis])
        .args(["--max-connections-per-ip", "100000", "--likes-per-second-per-ip", "0"])
        .args(["--new-rooms-per-minute", "0", "--allowed-origin", "*"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok((Proc(child), port))
}

async fn connect(port: u16) -> anyhow::Result<(Ws, Value)> {
    let url = format!("ws://127.0.0.1:{port}/ws/{ROOM}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Ok((mut ws, _))) =
            tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(&url)).await
        {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    return Ok((ws, serde_json::from_str(t.as_str())?));
                }
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "cannot connect to port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn per_region(v: &Value) -> Vec<u64> {
    let f = if v["type"] == "snapshot" { &v["frame"] } else { v };
    f["sim"]["truth"]["per_region"]
        .as_array()
        .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0)).collect())
        .unwrap_or_default()
}

async fn info(conn: &mut redis::aio::MultiplexedConnection) -> anyhow::Result<HashMap<String, f64>> {
    let text: String = redis::cmd("INFO").arg("all").query_async(conn).await?;
    let mut out = HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if let Ok(n) = v.trim().parse::<f64>() {
                out.insert(k.to_owned(), n);
            } else if k == "cmdstat_publish" {
                let calls = v.split(',').find_map(|kv| kv.strip_prefix("calls=")).and_then(|c| c.parse().ok());
                out.insert("publish_calls".into(), calls.unwrap_or(0.0));
            }
        }
    }
    Ok(out)
}

/// Counts frames and their bytes until the socket closes.
fn count_frames(mut ws: Ws, frames: Arc<AtomicU64>, bytes: Arc<AtomicU64>) {
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                frames.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(t.len() as u64, Ordering::Relaxed);
            }
        }
    });
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Waits on `ws` for a frame whose region `r` reaches `n`; returns when.
async fn until_region(ws: &mut Ws, r: usize, n: u64, within: Duration) -> Option<Instant> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??.ok()?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).ok()?;
            if per_region(&v).get(r).is_some_and(|c| *c >= n) {
                return Some(Instant::now());
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let dir = tempfile::tempdir()?;
    let redis_port = free_port()?;
    let _redis = Proc(
        Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", &args.fsync, "--dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()?,
    );
    let url = format!("redis://127.0.0.1:{redis_port}");
    let client = redis::Client::open(url.as_str())?;
    let mut conn = loop {
        if let Ok(c) = client.get_multiplexed_async_connection().await {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (a, port_a) = instance(&args.bin, &url)?;
    let (b, port_b) = instance(&args.bin, &url)?;

    // The room's first viewer makes A its owner.
    let (mut watch_a, _) = connect(port_a).await?;
    let (mut watch_b, _) = connect(port_b).await?;
    let started = Instant::now();
    let (frames_a, bytes_a, frames_b, bytes_b) = (Arc::default(), Arc::default(), Arc::default(), Arc::default());
    for i in 0..2 * args.viewers {
        let (port, frames, bytes) =
            if i % 2 == 0 { (port_a, &frames_a, &bytes_a) } else { (port_b, &frames_b, &bytes_b) };
        let (ws, _) = connect(port).await?;
        count_frames(ws, Arc::clone(frames), Arc::clone(bytes));
    }
    println!("{} viewers on each instance connected in {:.1} s", args.viewers, started.elapsed().as_secs_f64());
    let mut likers = Vec::new();
    for i in 0..10 {
        let (mut ws, _) = connect(if i % 2 == 0 { port_a } else { port_b }).await?;
        let region = ["tokyo", "sydney", "mumbai", "frankfurt", "virginia"][i % 5];
        likers.push(tokio::spawn(async move {
            let text = format!(r#"{{"type":"like","region":"{region}"}}"#);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => if ws.send(Message::text(text.clone())).await.is_err() { return },
                    m = ws.next() => if !matches!(m, Some(Ok(_))) { return },
                }
            }
        }));
    }
    let (mut probe, snap) = connect(port_b).await?;
    let (mut owner_probe, _) = connect(port_a).await?;
    let mut probe_n = per_region(&snap).get(5).copied().unwrap_or(0);

    // The steady window.
    let before = info(&mut conn).await?;
    let (fa0, ba0, fb0, bb0) = (
        frames_a.load(Ordering::Relaxed),
        bytes_a.load(Ordering::Relaxed),
        frames_b.load(Ordering::Relaxed),
        bytes_b.load(Ordering::Relaxed),
    );
    let window = Instant::now();
    let (mut on_a, mut on_b, mut via_owner) = (Vec::new(), Vec::new(), Vec::new());
    while window.elapsed() < Duration::from_secs(args.seconds) {
        probe_n += 1;
        let through_owner = probe_n % 2 == 0;
        let sent = Instant::now();
        let like = Message::text(r#"{"type":"like","region":"saopaulo"}"#);
        if through_owner {
            owner_probe.send(like).await?;
        } else {
            probe.send(like).await?;
        }
        let (ta, tb) = tokio::join!(
            until_region(&mut watch_a, 5, probe_n, Duration::from_secs(5)),
            until_region(&mut watch_b, 5, probe_n, Duration::from_secs(5))
        );
        if let (Some(ta), Some(tb)) = (ta, tb) {
            let (a, b) =
                (ta.duration_since(sent).as_secs_f64() * 1000.0, tb.duration_since(sent).as_secs_f64() * 1000.0);
            if through_owner {
                via_owner.push(a.max(b));
            } else {
                on_a.push(a);
                on_b.push(b);
            }
        }
        // Drain the probes' own frames.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_millis(1), probe.next()).await {}
        while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_millis(1), owner_probe.next()).await {}
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let secs = window.elapsed().as_secs_f64();
    let after = info(&mut conn).await?;
    let delta = |k: &str| after.get(k).copied().unwrap_or(0.0) - before.get(k).copied().unwrap_or(0.0);
    let publishes = delta("publish_calls");
    let frames_per_viewer_a = (frames_a.load(Ordering::Relaxed) - fa0) as f64 / args.viewers as f64 / secs;
    let frames_per_viewer_b = (frames_b.load(Ordering::Relaxed) - fb0) as f64 / args.viewers as f64 / secs;
    let frame_bytes =
        (bytes_b.load(Ordering::Relaxed) - bb0) as f64 / (frames_b.load(Ordering::Relaxed) - fb0).max(1) as f64;
    let _ = ba0;
    let out_bytes = delta("total_net_output_bytes");
    let in_bytes = delta("total_net_input_bytes");
    on_a.sort_by(f64::total_cmp);
    on_b.sort_by(f64::total_cmp);
    via_owner.sort_by(f64::total_cmp);
    println!("steady window: {secs:.1} s, {} viewers per instance, ~100 likes/s offered", args.viewers);
    println!("  frames per viewer per second: owner A {frames_per_viewer_a:.1}, relay B {frames_per_viewer_b:.1}");
    println!("  Redis PUBLISH calls: {:.0}/s (frames + forwarded likes + replies)", publishes / secs);
    println!(
        "  Redis bytes: in {:.0} KB/s, out {:.0} KB/s; a frame is {frame_bytes:.0} B",
        in_bytes / secs / 1000.0,
        out_bytes / secs / 1000.0
    );
    println!(
        "  broker bytes out per relay-viewer frame: {:.1} B (one copy per instance, however many viewers)",
        out_bytes / ((frames_b.load(Ordering::Relaxed) - fb0) as f64).max(1.0)
    );
    println!(
        "  like via relay B -> frame: on A p50 {:.1} ms p99 {:.1} ms; on B p50 {:.1} ms p99 {:.1} ms ({} probes)",
        percentile(&on_a, 0.5),
        percentile(&on_a, 0.99),
        percentile(&on_b, 0.5),
        percentile(&on_b, 0.99),
        on_a.len()
    );
    println!(
        "  like via owner A -> frame on both: p50 {:.1} ms p99 {:.1} ms ({} probes; Redis appendfsync {})",
        percentile(&via_owner, 0.5),
        percentile(&via_owner, 0.99),
        via_owner.len(),
        args.fsync
    );
    for l in likers {
        l.abort();
    }
    drop((probe, owner_probe, watch_a, watch_b));

    // Failover: kill the owner, time the survivor.
    let mut snapshot_ms = Vec::new();
    let mut like_ms = Vec::new();
    let mut instances = vec![(a, port_a), (b, port_b)];
    let (mut owner, mut relay) = (0, 1);
    for round in 0..args.kills {
        let (_owner_viewer, _) = connect(instances[owner].1).await?;
        let (mut survivor_watch, _) = connect(instances[relay].1).await?;
        let (mut survivor_liker, snap) = connect(instances[relay].1).await?;
        let mut tokyo = per_region(&snap).first().copied().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let killed = Instant::now();
        instances[owner].0 .0.kill()?;
        let _ = instances[owner].0 .0.wait();
        // The new owner's snapshot reaches the survivor's viewers.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        let mut snapshot_at = None;
        while snapshot_at.is_none() {
            let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, survivor_watch.next()).await else { break };
            if let Message::Text(t) = msg {
                if t.as_str().contains(r#""type":"snapshot""#) {
                    snapshot_at = Some(Instant::now());
                }
            }
        }
        let Some(snapshot_at) = snapshot_at else { anyhow::bail!("round {round}: no new owner within 15 s") };
        snapshot_ms.push(snapshot_at.duration_since(killed).as_secs_f64() * 1000.0);
        // Likes through the survivor since the kill: the first one shown.
        let liked = loop {
            tokyo += 1;
            survivor_liker.send(Message::text(r#"{"type":"like","region":"tokyo"}"#)).await?;
            if until_region(&mut survivor_watch, 0, tokyo, Duration::from_millis(300)).await.is_some() {
                break Instant::now();
            }
            anyhow::ensure!(killed.elapsed() < Duration::from_secs(15), "round {round}: likes not counted again");
            tokyo = per_region_now(&mut survivor_liker).await.unwrap_or(tokyo - 1);
        };
        like_ms.push(liked.duration_since(killed).as_secs_f64() * 1000.0);
        println!(
            "failover {round}: new owner's snapshot after {:.0} ms, a like through the survivor shown after {:.0} ms",
            snapshot_ms[round], like_ms[round]
        );
        // The survivor owns; a fresh instance becomes the next relay.
        instances.push(instance(&args.bin, &url)?);
        owner = relay;
        relay = instances.len() - 1;
    }
    if !snapshot_ms.is_empty() {
        snapshot_ms.sort_by(f64::total_cmp);
        like_ms.sort_by(f64::total_cmp);
        println!(
            "failover over {} kills: snapshot median {:.0} ms, max {:.0} ms; likes again median {:.0} ms, max {:.0} ms",
            snapshot_ms.len(),
            percentile(&snapshot_ms, 0.5),
            snapshot_ms[snapshot_ms.len() - 1],
            percentile(&like_ms, 0.5),
            like_ms[like_ms.len() - 1]
        );
    }
    Ok(())
}

/// The latest count of the first region this socket has seen, if any.
async fn per_region_now(ws: &mut Ws) -> Option<u64> {
    let mut last = None;
    while let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_millis(20), ws.next()).await {
        if let Ok(v) = serde_json::from_str::<Value>(t.as_str()) {
            if let Some(c) = per_region(&v).first() {
                last = Some(*c);
            }
        }
    }
    last
}
