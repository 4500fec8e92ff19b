//! Several instances on one Redis (`--redis`): a real `redis-server` on a
//! loopback port, real `likewise` processes, real WebSocket clients.
//!
//! - a like through one instance shows on the viewers of the other;
//! - SIGKILL of the owner: the other instance takes the room over within
//!   5 s, and every like any viewer saw counted is still counted;
//! - an owner whose lease passed to another instance cannot append;
//! - a presented room is checked by its owner, before and after a handover.
//!
//! Skipped, with a message, when `redis-server` is not installed
//! (`scripts/setup.sh` installs it, so CI runs them).

mod common;

use backend::cluster::{Cluster, ClusterSettings};
use backend::store::{Committed, InputRow, RoomRow};
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use shared::protocol::RoomId;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const SOON: Duration = Duration::from_secs(5);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed (SIGKILL) when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A throwaway `redis-server` on a free loopback port, nothing on disk.
struct Redis {
    url: String,
    _proc: Proc,
}

impl Redis {
    /// `None` (after saying why) when redis-server is not installed.
    async fn start() -> Option<Redis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("SKIPPED: redis-server is not installed (scripts/setup.sh installs it)");
                return None;
            }
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let redis = Redis { url: format!("redis://127.0.0.1:{port}"), _proc: Proc(child) };
        let client = redis::Client::open(redis.url.as_str()).unwrap();
        let deadline = Instant::now() + SOON;
        loop {
            if let Ok(Ok(mut c)) =
                tokio::time::timeout(Duration::from_secs(1), client.get_multiplexed_async_connection()).await
            {
                if redis::cmd("PING").query_async::<String>(&mut c).await.is_ok() {
                    return Some(redis);
                }
            }
            assert!(Instant::now() < deadline, "redis-server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn conn(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap()
    }
}

/// One `likewise` process on the cluster.
struct Instance {
    port: u16,
    proc: Proc,
    _dist: tempfile::TempDir,
}

impl Instance {
    fn start(redis: &Redis) -> Instance {
        let dist = tempfile::tempdir().unwrap();
        std::fs::write(dist.path().join("index.html"), "<!doctype html><title>t</title>").unwrap();
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_likewise"))
            .args(["--addr", &format!("127.0.0.1:{port}"), "--time-scale", "0.1", "--redis", &redis.url])
            .args(["--likes-per-second-per-ip", "0", "--new-rooms-per-minute", "0"])
            .arg("--dist")
            .arg(dist.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start likewise");
        Instance { port, proc: Proc(child), _dist: dist }
    }

    fn url(&self, room: &str) -> String {
        format!("ws://127.0.0.1:{}/ws/{room}", self.port)
    }

    /// Joins `room` (retrying while the process starts); returns the
    /// client and its snapshot.
    async fn join(&self, room: &str) -> (Ws, Value) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Ok((ws, _))) =
                tokio::time::timeout(Duration::from_secs(2), tokio_tungstenite::connect_async(self.url(room))).await
            {
                let mut ws = Ws::from(ws);
                let snap = next_json(&mut ws).await;
                assert_eq!(snap["type"], "snapshot", "{snap}");
                return (ws, snap);
            }
            assert!(Instant::now() < deadline, "the instance did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn kill(&mut self) {
        self.proc.0.kill().expect("SIGKILL");
        let _ = self.proc.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_like_through_one_instance_shows_on_the_viewers_of_the_other() {
    let Some(redis) = Redis::start().await else { return };
    let (a, b) = (Instance::start(&redis), Instance::start(&redis));
    let (mut on_a, _) = a.join("shared").await;
    let (mut on_b, snap) = b.join("shared").await;
    assert_eq!(viewers(&snap), 2, "the owner counts the other instance's viewer: {snap}");
    for _ in 0..3 {
        like(&mut on_b, "tokyo").await;
    }
    let seen = wait_for(&mut on_a, SOON, |m| is_frame(m) && truth(m) == 3).await;
    assert_eq!(count(&seen, "tokyo"), 3, "a like shows in its own region at once");
    like(&mut on_a, "sydney").await;
    wait_for(&mut on_b, SOON, |m| is_frame(m) && truth(m) == 4).await;
    // A control through the relay changes the room for everyone.
    send(&mut on_b, r#"{"type":"set_strategy","config":{"kind":"background_sync","interval_ms":1000,"delta":true}}"#)
        .await;
    wait_for(&mut on_a, SOON, |m| is_frame(m) && strategy(m) == "background_sync").await;
    drop(on_a);
    wait_for(&mut on_b, SOON, |m| is_frame(m) && viewers(m) == 1).await;
    // A refusal by the room (owned by A) reaches the one viewer on B that
    // caused it.
    let (_public_a, _) = a.join("public").await;
    let (mut public_b, _) = b.join("public").await;
    send(&mut public_b, r#"{"type":"pause"}"#).await;
    let err = wait_for(&mut public_b, SOON, |m| m["type"] == "error").await;
    assert_eq!(err["code"], "locked", "{err}");
}

/// Likes `region` every 60 ms until the socket dies or `stop`; returns the
/// highest per-region counts any frame showed, and when each snapshot came.
async fn like_and_watch(
    mut ws: Ws,
    region: Option<&'static str>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> (Vec<u64>, Vec<(Instant, Vec<u64>)>, Vec<Instant>) {
    let mut seen = vec![0u64; 6];
    let mut frames = Vec::new();
    let mut snapshots = Vec::new();
    let mut held: Option<Value> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(60));
    let mut stop = stop;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Some(region) = region {
                    let text = format!(r#"{{"type":"like","region":"{region}"}}"#);
                    if ws.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
            }
            _ = stop.changed() => break,
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                    // Frames come as deltas between keyframes: keep the
                    // whole frame they make, as the browser does.
                    let whole = match v["type"].as_str() {
                        Some("snapshot") => {
                            snapshots.push(Instant::now());
                            held = Some(v["frame"].clone());
                            held.clone()
                        }
                        Some("frame") => {
                            held = Some(v.clone());
                            held.clone()
                        }
                        Some("delta") => {
                            let applied =
                                held.as_mut().is_some_and(|h| shared::protocol::delta::apply_frame_delta(h, &v).is_ok());
                            if applied { held.clone() } else { None }
                        }
                        _ => None,
                    };
                    if let Some(whole) = whole {
                        let counts = per_region(&whole);
                        for (s, n) in seen.iter_mut().zip(&counts) {
                            *s = (*s).max(*n);
                        }
                        frames.push((Instant::now(), counts));
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
    }
    (seen, frames, snapshots)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_hands_the_room_over_and_loses_nothing_anyone_saw() {
    let Some(redis) = Redis::start().await else { return };
    let mut a = Instance::start(&redis);
    let b = Instance::start(&redis);
    // The first viewer's instance owns the room.
    let (on_a, _) = a.join("failover").await;
    let (b1, _) = b.join("failover").await;
    let (b2, _) = b.join("failover").await;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let ta = tokio::spawn(like_and_watch(on_a, Some("tokyo"), stop.clone()));
    let tb1 = tokio::spawn(like_and_watch(b1, Some("mumbai"), stop.clone()));
    let tb2 = tokio::spawn(like_and_watch(b2, None, stop));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = Instant::now();
    a.kill();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let _ = stop_tx.send(true);
    let (seen_a, _, _) = ta.await.unwrap();
    let (_, frames_b1, _) = tb1.await.unwrap();
    let (_, frames_b2, snapshots_b2) = tb2.await.unwrap();
    // Everything seen before the kill, by anyone.
    let mut before = seen_a.clone();
    for (at, counts) in frames_b1.iter().chain(&frames_b2) {
        if *at < killed {
            for (s, n) in before.iter_mut().zip(counts) {
                *s = (*s).max(*n);
            }
        }
    }
    assert!(before[0] >= 5 && before[2] >= 5, "few likes were seen before the kill: {before:?}");
    // The relay's viewer got a fresh snapshot from the new owner...
    let takeover = snapshots_b2.iter().find(|t| **t > killed).map(|t| t.duration_since(killed));
    let takeover = takeover.expect("no snapshot from a new owner after the kill");
    eprintln!("failover: a snapshot from the new owner {takeover:?} after SIGKILL of the old one");
    assert!(takeover < Duration::from_secs(5), "took {takeover:?}");
    // ...with every like anyone saw, and the room took likes again.
    let last = &frames_b2.last().expect("frames after the takeover").1;
    for (r, (&now, &was)) in last.iter().zip(&before).enumerate() {
        assert!(now >= was, "region {r}: {now} after the failover, {was} seen before: {last:?} vs {before:?}");
    }
    let mumbai_at_takeover = frames_b2.iter().find(|(t, _)| t.duration_since(killed) >= takeover).map(|(_, c)| c[2]);
    assert!(last[2] > mumbai_at_takeover.unwrap_or(u64::MAX), "likes through the new owner are counted");
}

#[tokio::test]
async fn an_owner_whose_lease_passed_on_cannot_append() {
    let Some(redis) = Redis::start().await else { return };
    let cluster = Cluster::connect(&redis.url, ClusterSettings::default()).await.unwrap();
    let store = cluster.store();
    let room = RoomId::parse("fenced").unwrap();
    let owner_key = backend::cluster::log::key(&room, "owner");
    let mut conn = redis.conn().await;
    let _: () = redis::cmd("SET").arg(&owner_key).arg("us:1").query_async(&mut conn).await.unwrap();
    cluster.leases.hold(&room, "us:1".into());
    let (ack, mut acks) = tokio::sync::mpsc::unbounded_channel::<Committed>();
    store
        .create(&room, RoomRow { seed: 7, config_json: "{}".into(), format: backend::store::FORMAT, presenter: None })
        .unwrap();
    let input = |seq: u64| InputRow { seq, at_ms: seq * 10, command_json: format!("\"like {seq}\"") };
    store.append(&room, input(0), &ack).unwrap();
    store.append(&room, input(0), &ack).unwrap();
    let first = tokio::time::timeout(SOON, acks.recv()).await.unwrap().unwrap();
    assert!(first.result.is_ok(), "{first:?}");
    let again = tokio::time::timeout(SOON, acks.recv()).await.unwrap().unwrap();
    assert!(again.result.is_err(), "a seq twice is refused, as in SQLite");
    // Another instance took the room over (our lease expired while we were
    // paused): its token is in Redis now, ours still in our memory.
    let _: () = redis::cmd("SET").arg(&owner_key).arg("them:1").query_async(&mut conn).await.unwrap();
    store.append(&room, input(1), &ack).unwrap();
    let stale = tokio::time::timeout(SOON, acks.recv()).await.unwrap().unwrap();
    let why = stale.result.expect_err("a stale owner's append is refused");
    assert!(why.contains("no longer owns"), "{why}");
    let stored = store.load(&room).await.unwrap().expect("the room is stored");
    assert_eq!(stored.inputs.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![0]);
    assert_eq!(stored.room.seed, 7);
    // Without any lease in our memory, nothing is even sent.
    cluster.leases.release(&room, "us:1");
    store.append(&room, input(2), &ack).unwrap();
    assert!(tokio::time::timeout(SOON, acks.recv()).await.unwrap().unwrap().result.is_err());
}

fn signal(proc: &Proc, sig: &str) {
    let status = Command::new("kill").args([sig, &proc.0.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill {sig}");
}

/// An owner frozen (SIGSTOP) past its lease is replaced; when it wakes up,
/// a like it takes is either refused out loud or counted by the new owner —
/// never written by the stale one — and it goes on as a relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_owner_wakes_up_as_a_relay_and_writes_nothing() {
    let Some(redis) = Redis::start().await else { return };
    let a = Instance::start(&redis);
    let b = Instance::start(&redis);
    let (mut on_a, _) = a.join("frozen").await;
    let (mut on_b, _) = b.join("frozen").await;
    for _ in 0..3 {
        like(&mut on_a, "tokyo").await;
    }
    wait_for(&mut on_b, SOON, |m| is_frame(m) && truth(m) == 3).await;
    signal(&a.proc, "-STOP");
    // B takes over once A's lease expires: its viewer is resynced.
    let snap = wait_for(&mut on_b, Duration::from_secs(8), |m| m["type"] == "snapshot").await;
    assert_eq!(truth(&snap), 3, "the new owner replayed the log: {snap}");
    like(&mut on_b, "mumbai").await;
    like(&mut on_b, "mumbai").await;
    wait_for(&mut on_b, SOON, |m| is_frame(m) && truth(m) == 5).await;
    // A like sent to the frozen owner waits in its socket until it wakes.
    like(&mut on_a, "sydney").await;
    signal(&a.proc, "-CONT");
    let mut refused = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    // Until A's viewer is resynced by the new owner.
    let last_a = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, next_json(&mut on_a)).await.expect("A never relayed the new owner");
        if msg["type"] == "error" {
            refused = true;
        }
        if msg["type"] == "snapshot" && truth(&msg) >= 5 {
            break msg;
        }
    };
    let expected = if refused { 5 } else { 6 };
    let on_b_final = wait_for(&mut on_b, SOON, |m| is_frame(m) && truth(m) == expected).await;
    assert_eq!(per_region(&on_b_final)[1], u64::from(!refused), "Sydney's like: refused {refused}");
    assert!(truth(&last_a) <= expected, "A shows {}", truth(&last_a));
    // And the log holds exactly what the new owner counts.
    let mut conn = redis.conn().await;
    let entries: u64 = redis::cmd("XLEN").arg("lw:{frozen}:log").query_async(&mut conn).await.unwrap();
    assert_eq!(entries, expected, "refused: {refused}");
    eprintln!("frozen owner's late like: {}", if refused { "refused" } else { "forwarded and counted" });
}

/// The Redis log keeps what the SQLite one keeps: a compaction folds a
/// prefix into the base, an import replaces the room whole.
#[tokio::test]
async fn the_redis_log_compacts_and_imports_like_the_sqlite_one() {
    let Some(redis) = Redis::start().await else { return };
    let cluster = Cluster::connect(&redis.url, ClusterSettings::default()).await.unwrap();
    let store = cluster.store();
    let room = RoomId::parse("compacted").unwrap();
    let mut conn = redis.conn().await;
    let owner_key = backend::cluster::log::key(&room, "owner");
    let _: () = redis::cmd("SET").arg(&owner_key).arg("us:1").query_async(&mut conn).await.unwrap();
    cluster.leases.hold(&room, "us:1".into());
    let row = || RoomRow { seed: 3, config_json: "{}".into(), format: backend::store::FORMAT, presenter: None };
    let input = |seq: u64| InputRow { seq, at_ms: seq * 10, command_json: format!("\"like {seq}\"") };
    store.create(&room, row()).unwrap();
    let (ack, mut acks) = tokio::sync::mpsc::unbounded_channel::<Committed>();
    for seq in 0..5 {
        store.append(&room, input(seq), &ack).unwrap();
    }
    for seq in 0..5 {
        let c = tokio::time::timeout(SOON, acks.recv()).await.unwrap().unwrap();
        assert_eq!((c.seq, c.result.is_ok()), (seq, true), "acknowledged in order");
    }
    let base = backend::store::BaseRow { at_ms: 20, likes_json: "[3,0,0,0,0,0]".into() };
    store.compact(&room, 2, base).unwrap();
    let stored = store.load(&room).await.unwrap().unwrap();
    assert_eq!(stored.inputs.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(stored.inputs[1].command_json, "\"like 4\"");
    assert_eq!(stored.inputs[1].at_ms, 40);
    let base = stored.base.expect("the base");
    assert_eq!((base.at_ms, base.likes_json.as_str()), (20, "[3,0,0,0,0,0]"));
    store.import(&room, row(), (0..2500).map(input).collect()).await.unwrap();
    let stored = store.load(&room).await.unwrap().unwrap();
    assert_eq!(stored.inputs.len(), 2500, "imported in chunks");
    assert!(stored.base.is_none(), "an import replaces the room whole");
    assert!(store.load(&RoomId::parse("never").unwrap()).await.unwrap().is_none());
}

/// `POST /api/rooms` on one instance; returns the room and its presenter token.
async fn new_presented_room(instance: &Instance) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", instance.port)).await.unwrap();
    let request = "POST /api/rooms HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(SOON, stream.read_to_string(&mut response)).await.unwrap().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let answer: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"));
    (answer["room"].as_str().unwrap().to_owned(), answer["presenter"].as_str().unwrap().to_owned())
}

/// Sends a control and returns the error code it got, or `None` if a frame
/// showed `until` first.
async fn control_outcome(ws: &mut Ws, control: &str, until: impl Fn(&Value) -> bool) -> Option<String> {
    send(ws, control).await;
    let msg = wait_for(ws, Duration::from_secs(10), |m| m["type"] == "error" || (is_frame(m) && until(m))).await;
    msg["code"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_is_checked_by_the_owner_and_survives_a_handover() {
    let Some(redis) = Redis::start().await else { return };
    let mut a = Instance::start(&redis);
    let b = Instance::start(&redis);
    // Made on A, which owns it; everyone below is on B, a relay.
    let (_, _) = a.join("warm-up").await;
    let (room, token) = new_presented_room(&a).await;
    let (mut viewer, _) = b.join(&room).await;
    let (mut presenter, _) = b.join(&room).await;
    let cut = |m: &Value| m["sim"]["faults"]["cut"].as_array().is_some_and(|c| !c.is_empty());
    let crashed = |m: &Value| m["sim"]["replicas"][1]["crashed"] == true;
    let cut_msg = r#"{"type":"cut","a":"tokyo","b":"virginia"}"#;
    assert_eq!(control_outcome(&mut viewer, cut_msg, cut).await.as_deref(), Some("not_presenter"));
    send(&mut presenter, &format!(r#"{{"type":"present","token":"{token}"}}"#)).await;
    wait_for(&mut presenter, SOON, |m| m["type"] == "presenting").await;
    assert_eq!(control_outcome(&mut presenter, cut_msg, cut).await, None, "forwarded and accepted");

    // The owner dies; B takes the room over from the Redis log, token hash
    // included. Its viewers get a fresh snapshot and present again.
    a.kill();
    wait_for(&mut presenter, Duration::from_secs(15), |m| m["type"] == "snapshot").await;
    let crash_msg = r#"{"type":"crash","region":"sydney"}"#;
    let refused = control_outcome(&mut viewer, crash_msg, crashed).await;
    assert_eq!(refused.as_deref(), Some("not_presenter"), "the new owner still knows the room has a presenter");
    send(&mut presenter, &format!(r#"{{"type":"present","token":"{token}"}}"#)).await;
    wait_for(&mut presenter, SOON, |m| m["type"] == "presenting").await;
    assert_eq!(control_outcome(&mut presenter, crash_msg, crashed).await, None);
}
