//! One room on one instance of a cluster: its *node*.
//!
//! The registry (`rooms`) hands viewers a [`RoomHandle`] whatever the
//! deployment; with `--redis`, the task behind it is a node, not a room.
//! A node is in one of two roles and can switch between them at any time:
//!
//! - **Owner** (it holds the room's lease): it runs the room's actor itself
//!   (`room::spawn`) and treats every viewer — its own and the relays' — as
//!   a *guest*: one viewer of that actor, joined on the guest's behalf, so
//!   the room counts everyone and answers each viewer in person. It copies
//!   the actor's frames into its own viewers' `watch` channel and, when
//!   another instance has viewers, publishes each frame once on
//!   `lw:{room}:frames`.
//! - **Relay**: it publishes its viewers' joins, leaves and commands on
//!   `lw:{room}:in`, and puts each frame from `lw:{room}:frames` into its
//!   viewers' `watch` channel. Every `tick` it tells the owner which viewers
//!   it has (so the owner forgets viewers of an instance that died, and a
//!   new owner learns them after a failover) and tries to take the lease,
//!   which succeeds only when the room has no owner.
//!
//! Viewers never notice the role: they always read the node's `watch`
//! channel, and a failover reaches them as a fresh snapshot (a resync).
//!
//! **What is lost in a failover.** Nothing any viewer saw counted: the new
//! owner replays the log, which holds every acknowledged input. Commands
//! in flight while the room has no owner (until the dead owner's lease
//! expires, at most `lease`) are refused with an error the viewer sees
//! (`room_unavailable`: "not applied, try again"), never silently counted
//! or dropped — except those already published to a dying owner, which
//! were never acknowledged either.

use super::log::key;
use super::{Cluster, Event};
use crate::room::{
    self, JoinFailure, Joined, Membership, Published, RoomCommand, RoomFull, RoomHandle, RoomSettings, Start, ViewerId,
};
use crate::rooms::Rooms;
use crate::store::Store;
use axum::extract::ws::Utf8Bytes;
use redis::{AsyncCommands, Script};
use serde::{Deserialize, Serialize};
use shared::crdt::{Act, PersonId};
use shared::kernel::Millis;
use shared::protocol::{Control, ErrorCode, ProtocolError, RoomId, ServerMessage, TimeControl};
use shared::region::RegionId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Renews a lease if it still holds the caller's token.
/// KEYS: owner. ARGV: token, lease ms. Returns 1 or 0.
const RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"#;

/// Gives a lease up if it still holds the caller's token.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// A command travelling from a relay to the owner.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Forwarded {
    /// The relay's instance.
    pub from: String,
    /// The viewer, as the relay numbers them.
    pub viewer: ViewerId,
    pub cmd: Fwd,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum Fwd {
    Join,
    Leave,
    Like {
        region: RegionId,
    },
    Control {
        control: Control,
    },
    Time {
        time: WireTime,
    },
    Seek {
        at_ms: Millis,
    },
    Fork {
        at_ms: Millis,
    },
    Export,
    /// A person's like or unlike (a room whose likes are one per person).
    Act {
        region: RegionId,
        act: Act,
    },
    /// A person's super like (a saga).
    SuperLike {
        region: RegionId,
        person: PersonId,
    },
    /// Who the viewer is and their home region.
    Hello {
        person: PersonId,
        home: RegionId,
    },
    /// A presenter token, checked by the room on the owner (see `presenter`).
    Presenter {
        token: String,
    },
    /// The relay's viewers in this room, every tick: how many and a digest
    /// of their ids, and the ids themselves only when the owner asked (its
    /// guests of this relay did not match), so presence costs the same
    /// whatever the audience.
    Present {
        count: usize,
        digest: u64,
        #[serde(default)]
        viewers: Option<Vec<ViewerId>>,
    },
}

/// An order-independent digest of viewer ids (a sum of mixed ids).
pub(crate) fn digest(ids: impl Iterator<Item = ViewerId>) -> u64 {
    ids.map(|id| {
        // splitmix64's finalizer: neighbouring ids spread over all bits.
        let mut z = id.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
    .fold(0u64, u64::wrapping_add)
}

/// [`TimeControl`] on the wire (it has no serde form of its own).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum WireTime {
    Pause,
    Resume,
    SetSpeed { speed: f64 },
    Step,
}

impl From<TimeControl> for WireTime {
    fn from(t: TimeControl) -> WireTime {
        match t {
            TimeControl::Pause => WireTime::Pause,
            TimeControl::Resume => WireTime::Resume,
            TimeControl::SetSpeed(speed) => WireTime::SetSpeed { speed },
            TimeControl::Step => WireTime::Step,
        }
    }
}

impl From<WireTime> for TimeControl {
    fn from(t: WireTime) -> TimeControl {
        match t {
            WireTime::Pause => TimeControl::Pause,
            WireTime::Resume => TimeControl::Resume,
            // Clamped: a speed outside the range never reaches a room.
            WireTime::SetSpeed { speed } => TimeControl::SetSpeed(if speed.is_finite() {
                speed.clamp(shared::protocol::MIN_SPEED, shared::protocol::MAX_SPEED)
            } else {
                1.0
            }),
            WireTime::Step => TimeControl::Step,
        }
    }
}

/// An answer from the owner to one viewer of a relay.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Reply {
    pub room: String,
    pub viewer: ViewerId,
    pub kind: ReplyKind,
    /// A serialized server message (empty for `Full`).
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum ReplyKind {
    /// The viewer's snapshot: completes its join, or resyncs it.
    Snapshot,
    /// A message for this viewer alone.
    Direct,
    /// The room is full.
    Full { max: usize },
    /// The owner's guests of this relay do not match its digest: send the
    /// full list of viewers (addressed to viewer 0).
    ListViewers,
}

/// Starts room `id`'s node on this instance and returns its handle.
pub(crate) fn spawn(
    cluster: Arc<Cluster>,
    id: RoomId,
    generation: u64,
    settings: RoomSettings,
    registry: Weak<Rooms>,
    store: Store,
    start: Start,
) -> RoomHandle {
    let (tx, rx) = mpsc::channel(settings.command_capacity);
    let me = RoomHandle { tx };
    let (events_tx, events) = mpsc::unbounded_channel();
    cluster.route(&id, events_tx.clone());
    let (frames, _) = watch::channel(Published::default());
    let node = Node {
        channels: Channels { frames: key(&id, "frames"), inputs: key(&id, "in"), owner: key(&id, "owner") },
        id,
        cluster,
        settings,
        registry,
        store,
        start: Some(start),
        me: me.clone(),
        events_tx,
        local: HashMap::new(),
        next_viewer: 1,
        frames: Arc::new(frames),
        role: Role::Relay,
        idle_since: Some(Instant::now()),
        list_viewers: true,
    };
    tokio::spawn(async move {
        let (id, registry) = (node.id.clone(), node.registry.clone());
        node.run(rx, events).await;
        if let Some(rooms) = registry.upgrade() {
            rooms.remove(&id, generation);
        }
        tracing::info!(room = %id, "room node closed");
    });
    me
}

struct Channels {
    frames: String,
    inputs: String,
    owner: String,
}

/// One of this instance's viewers.
struct Local {
    direct: mpsc::Sender<Utf8Bytes>,
    /// Until its snapshot arrives: the join to answer.
    join: Option<PendingJoin>,
}

struct PendingJoin {
    reply: oneshot::Sender<Result<Joined, RoomFull>>,
    direct: mpsc::Receiver<Utf8Bytes>,
    since: Instant,
    /// When the join was last sent to the owner.
    sent: Option<Instant>,
}

/// A viewer (of any instance) joined to the room's actor by its owner.
/// A task carries the actor's messages for this viewer to it; it ends by
/// itself once the actor forgets the viewer (or stops), after delivering
/// what was already said — such as "not applied" when the room stops.
struct Guest {
    viewer: ViewerId,
    /// Dropping it tells the actor the viewer left.
    _membership: Membership,
}

struct Owned {
    token: String,
    real: RoomHandle,
    guests: HashMap<(String, ViewerId), Guest>,
    /// When each relay instance was last heard from.
    heard: HashMap<String, Instant>,
    /// Copies the actor's frames to our viewers and to the broker.
    relay: Option<JoinHandle<()>>,
    /// Whether any guest is another instance's: only then are frames
    /// published to the broker.
    publish: Arc<AtomicBool>,
    renewer: JoinHandle<()>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some(relay) = &self.relay {
            relay.abort();
        }
        self.renewer.abort();
        // The actor holds a handle to itself, so it would idle on for its
        // TTL: stop it now (it refuses what still awaits storage). Its
        // guests' memberships drop with us, after the Stop.
        if let Err(mpsc::error::TrySendError::Full(stop)) = self.real.tx.try_send(RoomCommand::Stop) {
            let tx = self.real.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(stop).await;
            });
        }
    }
}

enum Role {
    Relay,
    Owner(Owned),
}

struct Node {
    id: RoomId,
    cluster: Arc<Cluster>,
    settings: RoomSettings,
    registry: Weak<Rooms>,
    store: Store,
    /// How the room's actor starts the first time this node owns it (a
    /// fork or an import starts from a run; afterwards, from the log).
    start: Option<Start>,
    me: RoomHandle,
    events_tx: mpsc::UnboundedSender<Event>,
    channels: Channels,
    local: HashMap<ViewerId, Local>,
    next_viewer: ViewerId,
    frames: Arc<watch::Sender<Published>>,
    role: Role,
    idle_since: Option<Instant>,
    /// The owner asked for our full list of viewers (see `Fwd::Present`).
    list_viewers: bool,
}

impl Node {
    async fn run(mut self, mut rx: mpsc::Receiver<RoomCommand>, mut events: mpsc::UnboundedReceiver<Event>) {
        self.cluster.subscribe(&self.channels.frames, true).await;
        // A new room (a fork, an import) must be owned here: it exists
        // nowhere else yet.
        self.try_to_own().await;
        let mut tick = tokio::time::interval(self.cluster.settings.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(RoomCommand::Stop) | None => break,
                    Some(cmd) => self.local_command(cmd).await,
                },
                Some(event) = events.recv() => self.event(event).await,
                _ = tick.tick() => {
                    ticks += 1;
                    // SUBSCRIBE is idempotent: re-subscribing now and then
                    // heals a pub/sub reconnect or an (un)subscribe race
                    // with an older node of the same room.
                    let resubscribe = ticks.is_multiple_of(10);
                    self.tick(resubscribe).await;
                }
            }
            if self.idle_for_good() {
                rx.close();
                break;
            }
        }
        self.end().await;
    }

    /// No viewer here and none anywhere that this node serves, for the TTL.
    fn idle_for_good(&mut self) -> bool {
        let busy = !self.local.is_empty() || matches!(&self.role, Role::Owner(o) if !o.guests.is_empty());
        if busy {
            self.idle_since = None;
            return false;
        }
        let since = *self.idle_since.get_or_insert_with(Instant::now);
        since.elapsed() >= self.settings.idle_ttl
    }

    async fn end(&mut self) {
        if let Role::Owner(owned) = std::mem::replace(&mut self.role, Role::Relay) {
            self.give_up(owned).await;
        }
        self.cluster.subscribe(&self.channels.frames, false).await;
        self.cluster.unroute(&self.id, &self.events_tx);
    }

    /// Stops owning: the actor stops, the lease is released (if it is
    /// still ours) so another instance need not wait for it to expire.
    async fn give_up(&self, owned: Owned) {
        let token = owned.token.clone();
        drop(owned);
        self.cluster.leases.release(&self.id, &token);
        self.cluster.subscribe(&self.channels.inputs, false).await;
        let released: redis::RedisResult<i64> =
            Script::new(RELEASE).key(&self.channels.owner).arg(&token).invoke_async(&mut self.cluster.conn()).await;
        if let Err(e) = released {
            tracing::warn!(room = %self.id, error = %e, "could not release the lease (it will expire)");
        }
    }

    async fn local_command(&mut self, cmd: RoomCommand) {
        let me = self.cluster.instance.clone();
        match cmd {
            RoomCommand::Join { reply } => {
                let viewer = self.next_viewer;
                self.next_viewer += 1;
                let (direct_tx, direct) = mpsc::channel(self.settings.direct_capacity);
                let join = PendingJoin { reply, direct, since: Instant::now(), sent: None };
                self.local.insert(viewer, Local { direct: direct_tx, join: Some(join) });
                self.send_join(viewer).await;
            }
            RoomCommand::Leave { viewer } => {
                if self.local.remove(&viewer).is_some() {
                    self.deliver(&me, viewer, Fwd::Leave).await;
                }
            }
            RoomCommand::Like { viewer, region } => self.deliver(&me, viewer, Fwd::Like { region }).await,
            RoomCommand::Control { viewer, control } => self.deliver(&me, viewer, Fwd::Control { control }).await,
            RoomCommand::Time { viewer, control } => {
                self.deliver(&me, viewer, Fwd::Time { time: control.into() }).await;
            }
            RoomCommand::Seek { viewer, at_ms } => self.deliver(&me, viewer, Fwd::Seek { at_ms }).await,
            RoomCommand::Fork { viewer, at_ms } => self.deliver(&me, viewer, Fwd::Fork { at_ms }).await,
            RoomCommand::Export { viewer } => self.deliver(&me, viewer, Fwd::Export).await,
            RoomCommand::Act { viewer, region, act } => self.deliver(&me, viewer, Fwd::Act { region, act }).await,
            RoomCommand::SuperLike { viewer, region, person } => {
                self.deliver(&me, viewer, Fwd::SuperLike { region, person }).await;
            }
            RoomCommand::Hello { viewer, person, home } => {
                self.deliver(&me, viewer, Fwd::Hello { person, home }).await;
            }
            RoomCommand::Present { viewer, token } => self.deliver(&me, viewer, Fwd::Presenter { token }).await,
            RoomCommand::Stop => {}
        }
    }

    async fn send_join(&mut self, viewer: ViewerId) {
        if let Some(join) = self.local.get_mut(&viewer).and_then(|l| l.join.as_mut()) {
            join.sent = Some(Instant::now());
        }
        let me = self.cluster.instance.clone();
        self.deliver(&me, viewer, Fwd::Join).await;
    }

    /// A command from viewer `viewer` of instance `from`: to the actor if
    /// we own the room, else to the owner through the broker.
    async fn deliver(&mut self, from: &str, viewer: ViewerId, cmd: Fwd) {
        if matches!(self.role, Role::Owner(_)) {
            self.as_owner(from, viewer, cmd).await;
            return;
        }
        let is_join = matches!(cmd, Fwd::Join);
        let is_quiet = matches!(cmd, Fwd::Leave | Fwd::Present { .. } | Fwd::Hello { .. });
        let msg = Forwarded { from: from.to_owned(), viewer, cmd };
        let Ok(json) = serde_json::to_string(&msg) else { return };
        let owners: redis::RedisResult<usize> = self.cluster.conn().publish(&self.channels.inputs, json).await;
        // Nobody listening: the room has no owner right now (the lease of
        // a dead owner has not expired yet). A join is retried by the next
        // tick; a like or a control is refused out loud.
        let delivered = matches!(owners, Ok(n) if n > 0);
        if !delivered && !is_join && !is_quiet {
            let err = ProtocolError::new(
                ErrorCode::RoomUnavailable,
                "this room is changing servers; that was not applied, try again in a few seconds",
            );
            self.tell_local(viewer, &ServerMessage::Error(err));
        }
    }

    async fn event(&mut self, event: Event) {
        match event {
            Event::Frame(bytes) => {
                if matches!(self.role, Role::Relay) {
                    match String::from_utf8(bytes).ok().and_then(|text| unwrap_frame(&text)) {
                        Some(published) => {
                            self.frames.send_replace(published);
                        }
                        None => tracing::warn!(room = %self.id, "a frame the broker carried is not one we wrote"),
                    }
                }
            }
            Event::Input(bytes) => {
                if !matches!(self.role, Role::Owner(_)) {
                    return;
                }
                match serde_json::from_slice::<Forwarded>(&bytes) {
                    // Our own instance's viewers never come this way.
                    Ok(msg) if msg.from != self.cluster.instance => {
                        if let Role::Owner(owned) = &mut self.role {
                            owned.heard.insert(msg.from.clone(), Instant::now());
                        }
                        self.as_owner(&msg.from, msg.viewer, msg.cmd).await;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(room = %self.id, error = %e, "an unreadable forwarded command"),
                }
            }
            Event::Reply(bytes) => match serde_json::from_slice::<Reply>(&bytes) {
                Ok(reply) => self.local_reply(reply.viewer, reply.kind, Utf8Bytes::from(reply.text)),
                Err(e) => tracing::warn!(room = %self.id, error = %e, "an unreadable reply"),
            },
            Event::LeaseLost(token) => {
                if matches!(&self.role, Role::Owner(o) if o.token == token) {
                    tracing::warn!(room = %self.id, "lost the room's lease; relaying to the new owner");
                    if let Role::Owner(owned) = std::mem::replace(&mut self.role, Role::Relay) {
                        self.give_up(owned).await;
                    }
                    self.cluster.subscribe(&self.channels.frames, true).await;
                    // Our viewers are re-joined by the new owner when our
                    // next presence message reaches it.
                }
            }
        }
    }

    async fn tick(&mut self, resubscribe: bool) {
        let now = Instant::now();
        // Joins that waited too long fail (the registry retries once, then
        // the viewer is told to try again).
        let timeout = self.cluster.settings.join_timeout;
        self.local.retain(|_, l| l.join.as_ref().is_none_or(|j| now.duration_since(j.since) < timeout));
        match &mut self.role {
            Role::Owner(owned) => {
                // Forget the viewers of relays silent for a whole lease:
                // that instance died or lost Redis.
                let lease = self.cluster.settings.lease;
                let me = &self.cluster.instance;
                let silent: HashSet<String> = owned
                    .heard
                    .iter()
                    .filter(|(_, t)| now.duration_since(**t) > lease)
                    .map(|(i, _)| i.clone())
                    .collect();
                if !silent.is_empty() {
                    owned.guests.retain(|(from, _), _| from == me || !silent.contains(from));
                    owned.heard.retain(|i, _| !silent.contains(i));
                    tracing::info!(room = %self.id, instances = ?silent, "forgot the viewers of silent instances");
                }
                let remote = owned.guests.keys().any(|(from, _)| from != me);
                owned.publish.store(remote, Ordering::Relaxed);
                if resubscribe {
                    self.cluster.subscribe(&self.channels.inputs, true).await;
                }
            }
            Role::Relay => {
                if resubscribe {
                    self.cluster.subscribe(&self.channels.frames, true).await;
                }
                if self.local.is_empty() {
                    return;
                }
                if self.try_to_own().await {
                    return;
                }
                // Every viewer, those still waiting for a snapshot too: the
                // owner forgets the guests of ours that are not listed.
                let me = self.cluster.instance.clone();
                let (count, digest) = (self.local.len(), digest(self.local.keys().copied()));
                let viewers = std::mem::take(&mut self.list_viewers).then(|| self.local.keys().copied().collect());
                self.deliver(&me, 0, Fwd::Present { count, digest, viewers }).await;
                let retry = self.cluster.settings.tick;
                let waiting: Vec<ViewerId> = self
                    .local
                    .iter()
                    .filter(|(_, l)| {
                        l.join.as_ref().is_some_and(|j| j.sent.is_none_or(|s| now.duration_since(s) >= retry))
                    })
                    .map(|(v, _)| *v)
                    .collect();
                for viewer in waiting {
                    self.send_join(viewer).await;
                }
            }
        }
    }

    /// Takes the lease if the room has no owner; then runs the room here.
    async fn try_to_own(&mut self) -> bool {
        if matches!(self.role, Role::Owner(_)) {
            return true;
        }
        let token = self.cluster.new_token();
        let lease_ms = self.cluster.settings.lease.as_millis() as u64;
        // The lease runs from no later than this instant.
        let asked = Instant::now();
        let taken: redis::RedisResult<Option<String>> = redis::cmd("SET")
            .arg(&self.channels.owner)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(lease_ms)
            .query_async(&mut self.cluster.conn())
            .await;
        match taken {
            Ok(Some(_)) => {}
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(room = %self.id, error = %e, "cannot reach Redis to take the lease");
                return false;
            }
        }
        tracing::info!(room = %self.id, token, "took the room's lease");
        self.cluster.leases.hold(&self.id, token.clone());
        self.cluster.subscribe(&self.channels.inputs, true).await;
        self.cluster.subscribe(&self.channels.frames, false).await;
        let start = self.start.take().unwrap_or(Start::Open);
        // Generation 0 is never a registry entry's: the actor ending must
        // not remove this node from the registry.
        let real =
            room::spawn(self.id.clone(), 0, self.settings.clone(), self.registry.clone(), self.store.clone(), start);
        let renewer = tokio::spawn(hold_lease(
            self.cluster.clone(),
            self.channels.owner.clone(),
            self.id.clone(),
            token.clone(),
            asked,
            self.events_tx.clone(),
        ));
        self.role = Role::Owner(Owned {
            token,
            real,
            guests: HashMap::new(),
            heard: HashMap::new(),
            relay: None,
            publish: Arc::new(AtomicBool::new(false)),
            renewer,
        });
        // Our own viewers join the actor now (those already watching get
        // a fresh snapshot: the room may have moved on since the last
        // frame they saw from the old owner).
        let me = self.cluster.instance.clone();
        let mut viewers: Vec<ViewerId> = self.local.keys().copied().collect();
        viewers.sort_unstable();
        for viewer in viewers {
            self.as_owner(&me, viewer, Fwd::Join).await;
        }
        true
    }

    /// The owner's side: `cmd` from viewer `viewer` of instance `from`.
    async fn as_owner(&mut self, from: &str, viewer: ViewerId, cmd: Fwd) {
        let key = (from.to_owned(), viewer);
        match cmd {
            Fwd::Present { count, digest: theirs, viewers } => {
                let Role::Owner(owned) = &mut self.role else { return };
                let Some(viewers) = viewers else {
                    let ours: Vec<ViewerId> = owned.guests.keys().filter(|(f, _)| f == from).map(|(_, v)| *v).collect();
                    if ours.len() != count || digest(ours.into_iter()) != theirs {
                        self.reply(from, 0, ReplyKind::ListViewers, Utf8Bytes::from_static("")).await;
                    }
                    return;
                };
                let present: HashSet<ViewerId> = viewers.iter().copied().collect();
                owned.guests.retain(|(f, v), _| f != from || present.contains(v));
                let missing: Vec<ViewerId> =
                    viewers.into_iter().filter(|v| !owned.guests.contains_key(&(from.to_owned(), *v))).collect();
                for v in missing {
                    self.join_guest(from, v).await;
                }
            }
            Fwd::Leave => {
                if let Role::Owner(owned) = &mut self.role {
                    owned.guests.remove(&key);
                }
            }
            Fwd::Join => {
                if let Role::Owner(owned) = &mut self.role {
                    owned.guests.remove(&key);
                }
                self.join_guest(from, viewer).await;
            }
            cmd => {
                let known = matches!(&self.role, Role::Owner(o) if o.guests.contains_key(&key));
                if !known {
                    self.join_guest(from, viewer).await;
                }
                let Role::Owner(owned) = &self.role else { return };
                let Some(guest) = owned.guests.get(&key) else { return };
                let v = guest.viewer;
                let sent = match cmd {
                    Fwd::Like { region } => owned.real.like(v, region),
                    Fwd::Control { control } => owned.real.control(v, control),
                    Fwd::Time { time } => owned.real.ask(RoomCommand::Time { viewer: v, control: time.into() }),
                    Fwd::Seek { at_ms } => owned.real.ask(RoomCommand::Seek { viewer: v, at_ms }),
                    Fwd::Act { region, act } => owned.real.ask(RoomCommand::Act { viewer: v, region, act }),
                    Fwd::SuperLike { region, person } => {
                        owned.real.ask(RoomCommand::SuperLike { viewer: v, region, person })
                    }
                    Fwd::Hello { person, home } => owned.real.ask(RoomCommand::Hello { viewer: v, person, home }),
                    Fwd::Fork { at_ms } => owned.real.ask(RoomCommand::Fork { viewer: v, at_ms }),
                    Fwd::Export => owned.real.ask(RoomCommand::Export { viewer: v }),
                    Fwd::Presenter { token } => owned.real.ask(RoomCommand::Present { viewer: v, token }),
                    Fwd::Join | Fwd::Leave | Fwd::Present { .. } => Ok(()),
                };
                if let Err(err) = sent {
                    if let Ok(json) = serde_json::to_string(&ServerMessage::Error(err)) {
                        self.reply(from, viewer, ReplyKind::Direct, Utf8Bytes::from(json)).await;
                    }
                }
            }
        }
    }

    /// Joins a viewer of `from` to the actor and sends it its snapshot.
    async fn join_guest(&mut self, from: &str, viewer: ViewerId) {
        for _ in 0..2 {
            let Role::Owner(owned) = &mut self.role else { return };
            if owned.real.is_closed() {
                // The actor expired (no viewer for its TTL); start it again
                // from the log.
                owned.real = room::spawn(
                    self.id.clone(),
                    0,
                    self.settings.clone(),
                    self.registry.clone(),
                    self.store.clone(),
                    Start::Open,
                );
                owned.guests.clear();
                if let Some(relay) = owned.relay.take() {
                    relay.abort();
                }
            }
            let real = owned.real.clone();
            match real.join().await {
                Ok(joined) => {
                    let Joined { viewer: v, snapshot, frames, mut direct, membership, .. } = joined;
                    let me = self.cluster.instance.clone();
                    let Role::Owner(owned) = &mut self.role else { return };
                    if owned.relay.is_none() {
                        owned.relay = Some(tokio::spawn(relay_frames(
                            frames,
                            self.frames.clone(),
                            self.cluster.clone(),
                            self.channels.frames.clone(),
                            owned.publish.clone(),
                        )));
                    }
                    // Messages for this viewer alone: to it, wherever it is.
                    if from == me {
                        let to = self.local.get(&viewer).map(|l| l.direct.clone());
                        tokio::spawn(async move {
                            while let Some(text) = direct.recv().await {
                                if let Some(to) = &to {
                                    let _ = to.try_send(text);
                                }
                            }
                        });
                    } else {
                        owned.publish.store(true, Ordering::Relaxed);
                        let (cluster, room, from) = (self.cluster.clone(), self.id.to_string(), from.to_owned());
                        tokio::spawn(async move {
                            while let Some(text) = direct.recv().await {
                                publish_reply(&cluster, &from, &room, viewer, ReplyKind::Direct, text.as_str()).await;
                            }
                        });
                    }
                    owned.guests.insert((from.to_owned(), viewer), Guest { viewer: v, _membership: membership });
                    self.reply(from, viewer, ReplyKind::Snapshot, snapshot).await;
                    return;
                }
                Err(JoinFailure::Full(RoomFull(max))) => {
                    self.reply(from, viewer, ReplyKind::Full { max }, Utf8Bytes::from_static("")).await;
                    return;
                }
                Err(JoinFailure::Closed) => continue,
            }
        }
    }

    async fn reply(&mut self, to: &str, viewer: ViewerId, kind: ReplyKind, text: Utf8Bytes) {
        if to == self.cluster.instance {
            self.local_reply(viewer, kind, text);
        } else {
            publish_reply(&self.cluster, to, self.id.as_str(), viewer, kind, text.as_str()).await;
        }
    }

    /// An answer for one of our viewers.
    fn local_reply(&mut self, viewer: ViewerId, kind: ReplyKind, text: Utf8Bytes) {
        if let ReplyKind::ListViewers = kind {
            self.list_viewers = true;
            return;
        }
        let Some(local) = self.local.get_mut(&viewer) else { return };
        match kind {
            ReplyKind::Snapshot => match local.join.take() {
                Some(join) => {
                    let joined = Joined {
                        viewer,
                        snapshot: text,
                        frames: self.frames.subscribe(),
                        direct: join.direct,
                        replies: local.direct.clone(),
                        membership: Membership { viewer, room: self.me.clone() },
                    };
                    // A joiner that gave up drops the reply, and with it the
                    // membership, which sends us its Leave.
                    let _ = join.reply.send(Ok(joined));
                }
                // Already watching: a resync after a change of owner.
                None => {
                    let _ = local.direct.try_send(text);
                }
            },
            ReplyKind::Direct => {
                let _ = local.direct.try_send(text);
            }
            ReplyKind::ListViewers => {}
            ReplyKind::Full { max } => {
                if let Some(join) = local.join.take() {
                    let _ = join.reply.send(Err(RoomFull(max)));
                    self.local.remove(&viewer);
                }
            }
        }
    }

    fn tell_local(&self, viewer: ViewerId, msg: &ServerMessage) {
        if let (Some(local), Ok(json)) = (self.local.get(&viewer), serde_json::to_string(msg)) {
            let _ = local.direct.try_send(Utf8Bytes::from(json));
        }
    }
}

async fn publish_reply(cluster: &Cluster, to: &str, room: &str, viewer: ViewerId, kind: ReplyKind, text: &str) {
    let reply = Reply { room: room.to_owned(), viewer, kind, text: text.to_owned() };
    let Ok(json) = serde_json::to_string(&reply) else { return };
    let sent: redis::RedisResult<usize> = cluster.conn().publish(Cluster::instance_channel(to), json).await;
    if let Err(e) = sent {
        tracing::warn!(room, error = %e, "could not send a reply to another instance");
    }
}

/// Copies each frame of the actor to this instance's viewers and, while
/// another instance has viewers, publishes it once to the broker.
async fn relay_frames(
    mut from: watch::Receiver<Published>,
    to: Arc<watch::Sender<Published>>,
    cluster: Arc<Cluster>,
    channel: String,
    publish: Arc<AtomicBool>,
) {
    let mut conn = cluster.conn();
    while from.changed().await.is_ok() {
        let frame = from.borrow_and_update().clone();
        to.send_replace(frame.clone());
        if publish.load(Ordering::Relaxed) {
            let sent: redis::RedisResult<usize> = conn.publish(&channel, wrap_frame(&frame)).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not publish a frame");
            }
        }
    }
}

/// A frame as the broker carries it: `seq`, the delta (empty for a
/// keyframe) and the full frame, one per line. Serialized JSON has no raw
/// newlines, so the split is exact. Carrying both keeps the relays' viewers
/// on deltas (the full frame is what a viewer that skipped one needs).
fn wrap_frame(frame: &Published) -> String {
    let delta = frame.delta.as_ref().map_or("", |d| d.as_str());
    format!("{}\n{}\n{}", frame.seq, delta, frame.full.as_str())
}

/// The inverse of [`wrap_frame`]; `None` for anything else.
fn unwrap_frame(text: &str) -> Option<Published> {
    let mut parts = text.splitn(3, '\n');
    let seq = parts.next()?.parse().ok()?;
    let delta = parts.next()?;
    let full = parts.next()?;
    let delta = (!delta.is_empty()).then(|| Utf8Bytes::from(delta.to_owned()));
    Some(Published { seq, full: Utf8Bytes::from(full.to_owned()), delta })
}

/// Renews the lease every `renew_every`; reports it lost when the token is
/// gone from Redis, or when no renewal succeeded for a whole lease (it may
/// have expired and passed on while Redis was out of reach).
async fn hold_lease(
    cluster: Arc<Cluster>,
    owner_key: String,
    room: RoomId,
    token: String,
    taken: Instant,
    events: mpsc::UnboundedSender<Event>,
) {
    let (lease, every) = (cluster.settings.lease, cluster.settings.renew_every);
    let script = Script::new(RENEW);
    let mut conn = cluster.conn();
    // Measured from *before* a renewal is sent, so our idea of the expiry
    // is never later than Redis's.
    let mut renewed = taken;
    loop {
        tokio::time::sleep(every).await;
        let sent = Instant::now();
        let result: redis::RedisResult<i64> = tokio::time::timeout(
            lease,
            script.key(&owner_key).arg(&token).arg(lease.as_millis() as u64).invoke_async(&mut conn),
        )
        .await
        .unwrap_or_else(|_| Err(redis::RedisError::from((redis::ErrorKind::Io, "renewal timed out"))));
        match result {
            Ok(1) => renewed = sent,
            Ok(_) => {
                tracing::warn!(room = %room, "the room's lease is someone else's now");
                break;
            }
            Err(e) => {
                tracing::warn!(room = %room, error = %e, "could not renew the room's lease");
                if sent.duration_since(renewed) + every >= lease {
                    break;
                }
            }
        }
    }
    // Appends stop at once (the log writer checks this first).
    cluster.leases.release(&room, &token);
    let _ = events.send(Event::LeaseLost(token));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_presence_digest_ignores_order_and_tells_sets_apart() {
        assert_eq!(digest([1, 2, 3].into_iter()), digest([3, 1, 2].into_iter()));
        assert_ne!(digest([1, 2, 3].into_iter()), digest([1, 2, 4].into_iter()));
        assert_ne!(digest([1, 2].into_iter()), digest([3].into_iter()), "not a plain sum");
        assert_eq!(digest(std::iter::empty()), 0);
    }

    #[test]
    fn forwarded_commands_round_trip_through_json() {
        let msg = Forwarded { from: "i".into(), viewer: 7, cmd: Fwd::Time { time: TimeControl::SetSpeed(9.0).into() } };
        let back: Forwarded = serde_json::from_str(&serde_json::to_string(&msg).unwrap()).unwrap();
        let Fwd::Time { time } = back.cmd else { panic!("{back:?}") };
        assert_eq!(TimeControl::from(time), TimeControl::SetSpeed(shared::protocol::MAX_SPEED), "clamped");
        let present: Fwd = serde_json::from_str(r#"{"t":"present","count":2,"digest":5}"#).unwrap();
        assert!(matches!(present, Fwd::Present { count: 2, digest: 5, viewers: None }));
    }
}
