//! Several instances serving the same rooms, through Redis (`--redis URL`).
//!
//! One machine runs out at some point (see the README's "When one instance
//! stops being enough"); past it, several `likewise` processes sit behind
//! one proxy and any viewer may land on any of them. A room's simulation
//! must still run in exactly one place — it is one deterministic state
//! machine fed by one ordered log — so:
//!
//! - **One owner per room, under a lease.** The instance that first has a
//!   viewer in a room takes the lease `lw:{room}:owner` with
//!   `SET … NX PX <lease>` and its value, a *fencing token*
//!   (`<instance>:<n>`), renews it every `renew_every` with a Lua
//!   compare-and-`PEXPIRE`, and runs the room's actor (`room`) as it would
//!   alone. If renewing fails — the lease passed to someone else, or Redis
//!   has been unreachable for a whole lease — it stops the room at once.
//! - **The log lives in Redis** (see [`log`]), written through the same
//!   `store::RoomLog` trait as SQLite, each append fenced by the token in
//!   a Lua script. A room applies an input only after its append is
//!   acknowledged, so everything any viewer saw is in Redis; an owner that
//!   lost its lease cannot write after its successor loaded the log.
//! - **The other instances are relays** (see [`node`]). They forward their
//!   viewers' joins, likes and controls to the owner on the room's input
//!   channel `lw:{room}:in`, and subscribe to `lw:{room}:frames`, where the
//!   owner publishes each serialized frame **once**: the broker carries one
//!   copy of a frame per instance, and each instance fans it out to its own
//!   viewers through the same `watch` channel a single server uses. What is
//!   addressed to one viewer (its snapshot, its errors, a seek's answer)
//!   comes back on the viewer's instance channel `lw:inst:<instance>`.
//! - **Failover.** Every non-owner with viewers in a room tries to take the
//!   lease every `tick`; once the dead owner's lease expires one of them
//!   gets it, loads the log from Redis, replays it and carries on; the
//!   relays' next presence message re-joins their viewers there, each
//!   getting a fresh snapshot. Viewers of the dead instance reconnect (the
//!   page does it by itself) and the proxy sends them to a live one.
//!
//! Redis is trusted: whatever can write to it can rewrite every room's
//! log anyway, so forwarded commands are not re-validated by the owner
//! beyond parsing.

pub mod log;
pub(crate) mod node;

use crate::store::Store;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, PubSubSink};
use shared::protocol::RoomId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Timing of the leases and the relays.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// How long a lease lasts without renewal: the longest a room can be
    /// without an owner after its owner dies.
    pub lease: Duration,
    /// How often the owner renews its lease (a third of `lease`: two
    /// renewals may fail before it expires).
    pub renew_every: Duration,
    /// How often a relay tries to take an ownerless room's lease and tells
    /// the owner which viewers it has.
    pub tick: Duration,
    /// How long a viewer may wait for its snapshot before its join fails.
    pub join_timeout: Duration,
    /// Idle private rooms' keys expire after this (see `log`).
    pub retention: Duration,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            lease: Duration::from_secs(3),
            renew_every: Duration::from_secs(1),
            tick: Duration::from_millis(500),
            join_timeout: Duration::from_secs(10),
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Why the cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot use Redis at {url}: {source}")]
    Redis { url: String, source: redis::RedisError },
}

/// Which rooms this instance owns, with the fencing token of each lease.
/// Read by the log writer before each append (the Lua script re-checks it
/// in Redis, which is what makes it safe).
#[derive(Debug, Default)]
pub struct Leases {
    tokens: Mutex<HashMap<RoomId, String>>,
}

impl Leases {
    pub fn token(&self, room: &RoomId) -> Option<String> {
        self.lock().get(room).cloned()
    }

    pub fn hold(&self, room: &RoomId, token: String) {
        self.lock().insert(room.clone(), token);
    }

    /// Forgets `room`'s lease if it is still `token` (not a newer one).
    pub fn release(&self, room: &RoomId, token: &str) {
        let mut tokens = self.lock();
        if tokens.get(room).is_some_and(|t| t == token) {
            tokens.remove(room);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, String>> {
        // Each critical section is one map operation: a poisoned lock
        // cannot hold a half-made change.
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the broker brought for one room's node.
#[derive(Debug)]
pub(crate) enum Event {
    /// A frame the owner published (the node is a relay).
    Frame(Vec<u8>),
    /// A command a relay forwarded (the node owns the room).
    Input(Vec<u8>),
    /// An answer the owner addressed to one of this instance's viewers.
    Reply(Vec<u8>),
    /// The lease renewer gave up on this token.
    LeaseLost(String),
}

/// This instance's connection to the cluster.
pub struct Cluster {
    /// A random name, unique per process.
    pub instance: String,
    pub settings: ClusterSettings,
    conn: ConnectionManager,
    /// Subscribes and unsubscribes the one pub/sub connection; replaced
    /// when that connection is re-established.
    sink: Mutex<Option<PubSubSink>>,
    /// Each room's node, by room.
    routes: Mutex<HashMap<RoomId, mpsc::UnboundedSender<Event>>>,
    pub leases: Arc<Leases>,
    next_token: AtomicU64,
    store: Store,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("instance", &self.instance).finish()
    }
}

impl Cluster {
    /// Connects to Redis at `url`, starts the log writer and the pub/sub
    /// dispatcher. Fails if Redis cannot be reached now: a cluster member
    /// that cannot store anything should not start serving.
    pub async fn connect(url: &str, settings: ClusterSettings) -> Result<Arc<Cluster>, ClusterError> {
        let fail = |source| ClusterError::Redis { url: url.to_owned(), source };
        let client = redis::Client::open(url).map_err(fail)?;
        let conn = client.get_connection_manager().await.map_err(fail)?;
        let leases = Arc::new(Leases::default());
        let log = log::RedisLog::start(conn.clone(), leases.clone(), settings.retention).await.map_err(fail)?;
        use rand::distr::{Alphanumeric, SampleString};
        let instance = Alphanumeric.sample_string(&mut rand::rng(), 12);
        let cluster = Arc::new(Cluster {
            instance,
            settings,
            conn,
            sink: Mutex::new(None),
            routes: Mutex::default(),
            leases,
            next_token: AtomicU64::new(1),
            store: Store::with_log(Arc::new(log)),
        });
        // The first pub/sub connection is made here, so a bad URL fails now.
        let pubsub = client.get_async_pubsub().await.map_err(fail)?;
        tokio::spawn(dispatch(Arc::downgrade(&cluster), client, Some(pubsub)));
        tracing::info!(instance = %cluster.instance, "joined the cluster on Redis");
        Ok(cluster)
    }

    /// The rooms' storage: the Redis log.
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// A connection for commands (cheap to clone; reconnects by itself).
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A fresh fencing token: unique per instance and per acquisition.
    pub(crate) fn new_token(&self) -> String {
        format!("{}:{}", self.instance, self.next_token.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn instance_channel(instance: &str) -> String {
        format!("lw:inst:{instance}")
    }

    pub(crate) fn route(&self, room: &RoomId, events: mpsc::UnboundedSender<Event>) {
        self.lock_routes().insert(room.clone(), events);
    }

    /// Forgets `room`'s route if it is still `events` (not a newer node's).
    pub(crate) fn unroute(&self, room: &RoomId, events: &mpsc::UnboundedSender<Event>) {
        let mut routes = self.lock_routes();
        if routes.get(room).is_some_and(|e| e.same_channel(events)) {
            routes.remove(room);
        }
    }

    fn lock_routes(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, mpsc::UnboundedSender<Event>>> {
        // One map operation per critical section (see `Leases::lock`).
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscribes (`on`) or unsubscribes the pub/sub connection.
    pub(crate) async fn subscribe(&self, channel: &str, on: bool) {
        let sink = self.sink.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(mut sink) = sink else { return };
        let result = if on { sink.subscribe(channel).await } else { sink.unsubscribe(channel).await };
        if let Err(e) = result {
            tracing::warn!(channel, error = %e, "pub/sub (un)subscribe failed");
        }
    }

    fn send(&self, room: &RoomId, event: Event) {
        if let Some(events) = self.lock_routes().get(room) {
            let _ = events.send(event);
        }
    }
}

/// Reads the pub/sub connection and hands each message to its room's node;
/// re-connects (after a second) when the connection drops. Nodes
/// re-subscribe their channels by themselves every few seconds.
async fn dispatch(cluster: std::sync::Weak<Cluster>, client: redis::Client, mut first: Option<redis::aio::PubSub>) {
    loop {
        let pubsub = match first.take() {
            Some(p) => Ok(p),
            None => client.get_async_pubsub().await,
        };
        match pubsub {
            Ok(pubsub) => {
                let (mut sink, mut stream) = pubsub.split();
                let Some(c) = cluster.upgrade() else { return };
                let mine = Cluster::instance_channel(&c.instance);
                if let Err(e) = sink.subscribe(&mine).await {
                    tracing::warn!(error = %e, "cannot subscribe to this instance's channel");
                }
                *c.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(sink);
                drop(c);
                while let Some(msg) = stream.next().await {
                    let Some(c) = cluster.upgrade() else { return };
                    let channel = msg.get_channel_name();
                    let payload = msg.get_payload_bytes().to_vec();
                    if channel == mine {
                        // Which room: the reply says; the node checks the rest.
                        match serde_json::from_slice::<node::Reply>(&payload)
                            .ok()
                            .and_then(|r| RoomId::parse(&r.room).ok())
                        {
                            Some(room) => c.send(&room, Event::Reply(payload)),
                            None => tracing::warn!("an unreadable reply on this instance's channel"),
                        }
                    } else if let Some((room, kind)) = parse_channel(channel) {
                        match kind {
                            "frames" => c.send(&room, Event::Frame(payload)),
                            "in" => c.send(&room, Event::Input(payload)),
                            _ => {}
                        }
                    }
                }
                tracing::warn!("the Redis pub/sub connection dropped; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "cannot open a Redis pub/sub connection; retrying"),
        }
        if cluster.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `lw:{room}:kind` → (room, kind).
fn parse_channel(channel: &str) -> Option<(RoomId, &str)> {
    let rest = channel.strip_prefix("lw:{")?;
    let (room, kind) = rest.split_once("}:")?;
    Some((RoomId::parse(room).ok()?, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_name_their_room() {
        let room = RoomId::parse("abc_-9").unwrap();
        let frames = log::key(&room, "frames");
        assert_eq!(frames, "lw:{abc_-9}:frames");
        assert_eq!(parse_channel(&frames), Some((room, "frames")));
        assert_eq!(parse_channel("lw:{bad room}:in"), None);
        assert_eq!(parse_channel("other"), None);
    }

    #[test]
    fn a_lease_is_released_only_by_its_own_token() {
        let leases = Leases::default();
        let room = RoomId::parse("r").unwrap();
        leases.hold(&room, "a:1".into());
        leases.release(&room, "a:0");
        assert_eq!(leases.token(&room).as_deref(), Some("a:1"));
        leases.release(&room, "a:1");
        assert_eq!(leases.token(&room), None);
    }
}
