//! The room actor: one tokio task that owns one room's simulation.
//!
//! Everything about a room — its replicas, its simulated network, who is
//! watching — lives inside this task, and the only way in is a message on its
//! command channel. No locks, no shared mutable state: the simulation is a
//! plain value the task mutates between `.await`s.
//!
//! The task's loop does three things:
//! 1. applies commands (join, leave, like) as they arrive;
//! 2. drives the simulation from the wall clock: simulated time is real
//!    milliseconds since the room started, and the task sleeps exactly until
//!    the next simulated event (a message landing, a timer) is due;
//! 3. publishes frames. A frame is serialized **once**, as a full frame and
//!    as a delta against the previous one (see [`Published`] and
//!    `shared::protocol::delta`), and put in a `tokio::sync::watch` channel
//!    that every viewer's writer task reads; every viewer shares those two
//!    buffers. A watch keeps only the latest value, so a slow viewer simply
//!    skips frames — it can never make the room, or anyone else, wait — and
//!    a viewer that skipped one is sent the full frame instead of a delta it
//!    could not apply. Frames are
//!    coalesced to at most one per `frame_interval` (~30 per second), however
//!    many likes arrive. A crowded room slows its frame rate (see
//!    [`frame_interval_for`]): the server's outgoing bytes grow with viewers ×
//!    frame rate, and the browser animates between frames anyway.
//!
//! **A room remembers** (see `store`). The room is its input log: every like
//! and control is stamped with the room's simulated time when it arrives,
//! sent to the storage thread, and applied to the simulation only when the
//! storage says it is committed — so no frame ever shows a like that a
//! restart could lose. Meanwhile the simulation does not run past the
//! earliest input still waiting (commits take milliseconds), so each input
//! is applied at its own simulated time, exactly as a replay of the log
//! applies it. A room opened after a restart is rebuilt by replaying its log
//! and goes on from its last input's time.
//!
//! **Time.** Simulated time is a [`Clock`]: the wall clock at a speed
//! (×0.1 … ×2), or standing still while paused; `step` moves a paused room
//! to its next event. None of this is logged: the log has simulated times.
//! The room keeps in-memory checkpoints (clones of its simulation every few
//! simulated seconds, at most `max_checkpoints`, thinned to double spacing
//! when full), so `seek` replays at most one spacing of history. `fork` and
//! `export` cut the log at a time; `fork` starts the new room through the
//! registry.

use crate::store::{BaseRow, Committed, InputRow, RoomRow, Store, Stored, FORMAT};
use axum::extract::ws::Utf8Bytes;
use shared::crdt::{Act, PersonId};
use shared::kernel::Millis;
use shared::protocol::changes::{self, ChangeLog};
use shared::protocol::history::{self, HistoryChunk, HistoryEvent};
use shared::protocol::view::{MAX_PACKETS_IN_SMALL_VIEW, MAX_PACKETS_IN_VIEW};
use shared::protocol::{
    delta, Command, Control, ErrorCode, Frame, PresenterView, ProtocolError, RegionInfo, RoomId, ServerMessage,
    Snapshot, StrategyDescription, TimeControl, TimeView, PROTOCOL_VERSION,
};
use shared::region::RegionId;
use shared::sim::replay::{replay, Input, Run, RUN_FORMAT};
use shared::sim::{SimConfig, Simulation};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::base::{self, Base};
use crate::rooms::Rooms;

/// Identifies one connection inside a room.
pub type ViewerId = u64;

/// The room itself, as the author of an input no viewer sent (viewers are
/// numbered from 1, so nobody hears its errors by mistake).
const SYSTEM: ViewerId = 0;

/// Events a room keeps for joining viewers' snapshots (~20 KB of JSON).
const RECENT_EVENTS: usize = 256;

/// The history stream keeps at most one `counts` event per this many ms.
const COUNTS_EVERY_MS: Millis = 50;
/// Past this many viewers a frame carries at most `CROWDED_EVENTS` events,
/// and a joiner's snapshot as many of the recent ones. A crowd's frames go
/// to thousands of sockets, and each socket's write buffer keeps the size
/// of the largest message it ever sent (tungstenite never shrinks it): at
/// 48 events a frame and 256 in a snapshot, events were half of a crowd's
/// ~7 KB frames and most of its ~20 KB snapshots, and ~10 KB of every
/// viewer's memory. Sixteen still carry the counts and the likes of a
/// frame's ~100 ms; the rest are reported as skipped.
const CROWDED_VIEWERS: usize = 300;
const CROWDED_EVENTS: usize = 16;

/// A seek answers with the history from this long before the moment ...
const SEEK_BEFORE_MS: Millis = 20_000;
/// ... to this long after it (never past now).
const SEEK_AFTER_MS: Millis = 10_000;
/// Most events in a seek's window (messages go first).
const MAX_SEEK_EVENTS: usize = 2_000;

/// Tuning for every room.
#[derive(Debug, Clone)]
pub struct RoomSettings {
    /// Minimum time between two published frames.
    pub frame_interval: Duration,
    /// How long a room lives on after its last viewer left.
    pub idle_ttl: Duration,
    /// Stretches every simulated delay (1.0 = the default geography).
    pub time_scale: f64,
    /// Capacity of the room's command channel.
    pub command_capacity: usize,
    /// Capacity of each viewer's channel for direct (non-broadcast) messages.
    pub direct_capacity: usize,
    /// Most viewers in one room; more are refused with [`RoomFull`]. Past
    /// 12 000 a room already sends its slowest frame rate, so each further
    /// viewer costs the whole server bytes without limit.
    pub max_viewers: usize,
    /// Simulated ms between two in-memory checkpoints (for `seek`), at first.
    pub checkpoint_every_ms: Millis,
    /// Most checkpoints a room keeps; then their spacing doubles.
    pub max_checkpoints: usize,
    /// Past this many inputs, the public room compacts the older half of
    /// its log (see `store`).
    pub public_log_cap: usize,
    /// How often every viewer gets a full frame (a keyframe) even though
    /// it missed none; between them, frames are deltas. Zero: every frame
    /// is full (no deltas at all).
    pub keyframe_interval: Duration,
    /// The share of the room's time that answering seeks, forks and
    /// exports may take, and how much of it may be spent at once (see
    /// [`WorkBudget`]).
    pub answer_share: f64,
    pub answer_burst: Duration,
    /// Longest a private room's replay (an import, a fork, a restore) may
    /// take before it is given up and the room shown broken (see
    /// [`Deadline`]).
    pub max_replay: Duration,
}

impl Default for RoomSettings {
    fn default() -> Self {
        RoomSettings {
            frame_interval: Duration::from_millis(33),
            idle_ttl: Duration::from_secs(300),
            time_scale: 1.0,
            command_capacity: 4096,
            direct_capacity: 16,
            max_viewers: 20_000,
            checkpoint_every_ms: 5_000,
            max_checkpoints: 256,
            public_log_cap: 100_000,
            keyframe_interval: Duration::from_secs(2),
            answer_share: 0.25,
            answer_burst: Duration::from_secs(1),
            max_replay: Duration::from_secs(30),
        }
    }
}

/// How much of a room's own time its answers to single viewers may take.
///
/// A seek, a fork and an export are answered on the room's task, which is
/// also what advances the room and publishes every viewer's frames. Each
/// is cheap alone, but they are open to everyone, and an export of a long
/// log is megabytes of JSON: ten connections asking for the export of a
/// 120 000-input room as fast as their like budget allowed (~100 a second
/// from one address) kept the task busy, and the other viewers' frames
/// stalled for up to 230 ms (1.6 s when the askers did not read). So the
/// room measures the time these answers take and refuses more (with
/// `rate_limited`, and the request named) once they used up their share:
/// a token bucket of wall time, refilled at `share` of real time, holding
/// at most `burst`. One answer may overdraw it (its cost is known only
/// afterwards); the debt is then repaid before the next.
#[derive(Debug, Clone)]
pub struct WorkBudget {
    share: f64,
    /// Nanoseconds of work: the most saved up, and what is available now
    /// (negative: in debt). Whole nanoseconds, so spending the burst in
    /// equal parts empties it exactly.
    burst: i64,
    available: i64,
    last: Instant,
}

impl WorkBudget {
    pub fn new(share: f64, burst: Duration, now: Instant) -> WorkBudget {
        let burst = nanos(burst);
        // A share outside 0..=1 is not a share: clamp it (NaN: none).
        let share = if share.is_nan() { 0.0 } else { share.clamp(0.0, 1.0) };
        WorkBudget { share, burst, available: burst, last: now }
    }

    /// Whether an answer may start now.
    pub fn allow(&mut self, now: Instant) -> bool {
        // (A float to integer cast saturates: no overflow however long idle.)
        let refill = (nanos(now.saturating_duration_since(self.last)) as f64 * self.share) as i64;
        self.available = self.available.saturating_add(refill).min(self.burst);
        self.last = now;
        self.available > 0
    }

    /// An answer took `took`.
    pub fn spend(&mut self, took: Duration) {
        self.available = self.available.saturating_sub(nanos(took));
    }
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// How many messages in flight a frame lists: all of a burst (up to
/// [`MAX_PACKETS_IN_SMALL_VIEW`]) for a class-sized room, so its map draws
/// every one; the soonest [`MAX_PACKETS_IN_VIEW`] for a crowd, where a frame
/// goes to thousands of sockets. Both count every message per link.
pub fn packets_listed(viewers: usize) -> usize {
    if viewers <= 40 {
        MAX_PACKETS_IN_SMALL_VIEW
    } else {
        MAX_PACKETS_IN_VIEW
    }
}

/// The time between frames for a room with `viewers` people: the base
/// interval (~30 frames a second) up to 300 viewers, then stretched so that
/// the bytes a room sends per second stop growing linearly with its
/// audience — ~15 frames a second up to 3 000 viewers, ~11 up to 12 000
/// (issue 10 asks for at least 10 a second at 10 000 viewers: 8/3 of the
/// base, 88 ms, leaves a margin over 100 ms for a loop that wakes late; the
/// band reaches past 10 000 so that the people liking, who are viewers too,
/// do not tip such a room into the next one), ~5 beyond.
/// A like still shows in its own region within one (longer) frame.
pub fn frame_interval_for(base: Duration, viewers: usize) -> Duration {
    let (times, over) = match viewers {
        0..=300 => (1, 1),
        301..=3_000 => (2, 1),
        3_001..=12_000 => (8, 3),
        _ => (6, 1),
    };
    base * times / over
}

/// When the frame just published counts as sent, for the schedule of the
/// next one. The loop wakes a little after a frame is due (timers, other
/// work), and counting from that moment would let every frame slip by the
/// lateness: a ~10-a-second room measured 9.9. So a frame published on
/// schedule counts from when it was due. After a quiet spell, or a frame
/// more than a whole interval late (a saturated server), the schedule
/// starts again from `now`, so it never tries to catch up with a burst.
pub fn frame_sent_at(previous: Option<Instant>, interval: Duration, now: Instant) -> Instant {
    match previous {
        Some(before) if now >= before + interval && now < before + interval * 2 => before + interval,
        _ => now,
    }
}

/// What a room's task accepts.
#[derive(Debug)]
pub enum RoomCommand {
    Join {
        reply: oneshot::Sender<Result<Joined, RoomFull>>,
    },
    Leave {
        viewer: ViewerId,
    },
    Like {
        viewer: ViewerId,
        region: RegionId,
    },
    /// A person's like or unlike.
    Act {
        viewer: ViewerId,
        region: RegionId,
        act: Act,
    },
    /// A person's super like (a saga; refused in the public room).
    SuperLike {
        viewer: ViewerId,
        region: RegionId,
        person: PersonId,
    },
    /// Who the viewer is and their home region (not logged).
    Hello {
        viewer: ViewerId,
        person: PersonId,
        home: RegionId,
    },
    Control {
        viewer: ViewerId,
        control: Control,
    },
    Time {
        viewer: ViewerId,
        control: TimeControl,
    },
    Seek {
        viewer: ViewerId,
        at_ms: Millis,
    },
    Fork {
        viewer: ViewerId,
        at_ms: Millis,
    },
    Export {
        viewer: ViewerId,
    },
    /// The viewer shows a presenter token (see `presenter`).
    Present {
        viewer: ViewerId,
        token: String,
    },
    /// Ends the room's task now (a cluster node whose lease on the room
    /// passed to another instance; see `cluster`).
    Stop,
}

/// One published frame, serialized once and shared by every viewer (the
/// `Utf8Bytes` are reference-counted: handing them to 10 000 writers copies
/// nothing).
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// The frame's `seq`.
    pub seq: u64,
    /// The whole frame, `{"type":"frame",…}`.
    pub full: Utf8Bytes,
    /// What changed since frame `seq - 1`, `{"type":"delta","base":…}`;
    /// `None` for a keyframe, which everyone gets whole.
    pub delta: Option<Utf8Bytes>,
}

impl Published {
    /// What to send a viewer whose last frame was `last` (`None`: none yet
    /// since its snapshot): the delta if it follows on, else the full frame.
    pub fn for_viewer(&self, last: Option<u64>) -> &Utf8Bytes {
        match &self.delta {
            Some(delta) if last.is_some_and(|last| last + 1 == self.seq) => delta,
            _ => &self.full,
        }
    }
}

/// A viewer's way into a room, handed out on join.
#[derive(Debug)]
pub struct Joined {
    pub viewer: ViewerId,
    /// The snapshot to send first, already serialized.
    pub snapshot: Utf8Bytes,
    /// The latest frame, already serialized; `changed()` wakes on new ones.
    /// The first one after the snapshot must be sent whole: the snapshot's
    /// frame is newer than the published frame a delta is made against.
    pub frames: watch::Receiver<Published>,
    /// Messages for this viewer only (errors about its own commands).
    pub direct: mpsc::Receiver<Utf8Bytes>,
    /// A sender into `direct`, for the connection's own replies (errors about
    /// the input it read): one channel per viewer, not two, since every
    /// channel costs each viewer a ~1.5 KB allocation up front, and the
    /// writer then waits on one queue.
    pub replies: mpsc::Sender<Utf8Bytes>,
    /// Sends `Leave` when dropped, so a viewer leaves however its task ends.
    pub membership: Membership,
}

/// Guard that tells the room a viewer left when it is dropped.
#[derive(Debug)]
pub struct Membership {
    pub viewer: ViewerId,
    pub room: RoomHandle,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let cmd = RoomCommand::Leave { viewer: self.viewer };
        // Never block in drop: try first; if the channel is momentarily full,
        // finish the send on a task (leaving must not be lost, or the
        // presence count would be wrong forever).
        if let Err(mpsc::error::TrySendError::Full(cmd)) = self.room.tx.try_send(cmd) {
            let tx = self.room.tx.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = tx.send(cmd).await;
                });
            }
        }
    }
}

/// A cheap, cloneable sender to a room's task.
#[derive(Debug, Clone)]
pub struct RoomHandle {
    pub(crate) tx: mpsc::Sender<RoomCommand>,
}

/// Why [`RoomHandle::join`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinFailure {
    /// The room's task has ended (it expired); the registry makes a new one.
    #[error("the room has closed")]
    Closed,
    #[error(transparent)]
    Full(#[from] RoomFull),
}

/// The room has its maximum of viewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this room is full ({0} viewers); try again later")]
pub struct RoomFull(pub usize);

impl RoomHandle {
    pub async fn join(&self) -> Result<Joined, JoinFailure> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(RoomCommand::Join { reply }).await.map_err(|_| JoinFailure::Closed)?;
        Ok(rx.await.map_err(|_| JoinFailure::Closed)??)
    }

    /// Queues a like without waiting. A full queue is reported, never hidden.
    pub fn like(&self, viewer: ViewerId, region: RegionId) -> Result<(), ProtocolError> {
        self.enqueue(RoomCommand::Like { viewer, region }, "this like was not counted")
    }

    /// Queues a person's like or unlike without waiting.
    pub fn act(&self, viewer: ViewerId, region: RegionId, act: Act) -> Result<(), ProtocolError> {
        self.enqueue(RoomCommand::Act { viewer, region, act }, "this like was not counted")
    }

    /// Queues a person's super like without waiting.
    pub fn super_like(&self, viewer: ViewerId, region: RegionId, person: PersonId) -> Result<(), ProtocolError> {
        self.enqueue(RoomCommand::SuperLike { viewer, region, person }, "this super like was not started")
    }

    /// Queues a control (strategy, fault) without waiting.
    pub fn control(&self, viewer: ViewerId, control: Control) -> Result<(), ProtocolError> {
        self.enqueue(RoomCommand::Control { viewer, control }, "the change was not applied")
    }

    /// Queues a time control, a seek, a fork or an export without waiting.
    pub fn ask(&self, cmd: RoomCommand) -> Result<(), ProtocolError> {
        self.enqueue(cmd, "the request was not handled")
    }

    /// Never waits on the room: a reader loop must keep reading even when
    /// the room is swamped, so a full queue becomes an error the client sees.
    fn enqueue(&self, cmd: RoomCommand, consequence: &str) -> Result<(), ProtocolError> {
        self.tx.try_send(cmd).map_err(|e| {
            let why = match e {
                mpsc::error::TrySendError::Full(_) => format!("the room is overloaded; {consequence}, try again"),
                mpsc::error::TrySendError::Closed(_) => format!("the room has closed; {consequence}, reconnect"),
            };
            ProtocolError::new(ErrorCode::RoomUnavailable, why)
        })
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// How a room's task begins.
#[derive(Debug)]
pub enum Start {
    /// Restore the room from storage if it was stored, else a fresh room.
    Open,
    /// A new room from a given log (a fork, an import, or empty for
    /// `POST /api/rooms`), stored first, with the hash of its presenter
    /// token (see `presenter`).
    Preloaded(Run, String),
}

/// Starts a room's task and returns its handle.
pub fn spawn(
    id: RoomId,
    generation: u64,
    settings: RoomSettings,
    registry: Weak<Rooms>,
    store: Store,
    start: Start,
) -> RoomHandle {
    let (tx, rx) = mpsc::channel(settings.command_capacity);
    let handle = RoomHandle { tx };
    let me = handle.clone();
    tokio::spawn(async move {
        let room = Room::open(id.clone(), settings, me, registry.clone(), store, start).await;
        room.run(rx).await;
        if let Some(rooms) = registry.upgrade() {
            rooms.remove(&id, generation);
        }
        tracing::info!(room = %id, "room closed");
    });
    handle
}

/// An input sent to storage and not yet acknowledged.
#[derive(Debug)]
struct Pending {
    seq: u64,
    input: Input,
    viewer: ViewerId,
    /// The storage's answer, once it came.
    outcome: Option<Result<(), String>>,
}

/// The room at a past moment, kept to make seeking fast.
#[derive(Debug, Clone)]
struct Checkpoint {
    at: Millis,
    /// How many entries of the log it has applied.
    applied: usize,
    sim: Simulation,
}

/// Maps the wall clock to simulated time: runs at `speed` from `anchor_sim`
/// at `anchor_real`, or stands still at `anchor_sim` while paused.
#[derive(Debug, Clone, Copy)]
struct Clock {
    anchor_real: Instant,
    anchor_sim: Millis,
    speed: f64,
    paused: bool,
}

impl Clock {
    fn at(&self, now: Instant) -> Millis {
        if self.paused {
            return self.anchor_sim;
        }
        let real = now.saturating_duration_since(self.anchor_real).as_secs_f64() * 1000.0;
        self.anchor_sim + (real * self.speed) as Millis
    }

    /// Re-anchors at `now` (before changing speed or pausing).
    fn rebase(&mut self, now: Instant) {
        self.anchor_sim = self.at(now);
        self.anchor_real = now;
    }

    /// Lets a paused clock run again from where it stands. A running clock
    /// is left alone: re-anchoring its wall time without its simulated
    /// time (as `resume` once did) set it back by everything since its
    /// last anchor, and the room's time stood still until the wall clock
    /// caught up — forever, for a client that kept sending `resume`.
    fn resume(&mut self, now: Instant) {
        if self.paused {
            self.anchor_real = now;
            self.paused = false;
        }
    }

    /// The wall-clock instant simulated time reaches `at` (running clocks only).
    fn real(&self, at: Millis) -> Instant {
        let ms = at.saturating_sub(self.anchor_sim) as f64 / self.speed;
        // One ms late rather than early: early would wake the loop before
        // the event is due and spin.
        self.anchor_real + Duration::from_secs_f64((ms + 1.0) / 1000.0)
    }
}

/// A room as restored: where its simulation stands and what its log holds.
struct Restored {
    config: SimConfig,
    sim: Simulation,
    base: Option<Base>,
    log: Vec<Input>,
    seqs: Vec<u64>,
    next_seq: u64,
    checkpoints: Checkpoints,
    stored: bool,
    broken: Option<String>,
    /// The presenter token's hash, if the room has a presenter.
    presenter: Option<String>,
}

#[derive(Debug, Clone)]
struct Checkpoints {
    list: Vec<Checkpoint>,
    every: Millis,
    max: usize,
}

impl Checkpoints {
    fn new(settings: &RoomSettings) -> Checkpoints {
        Checkpoints { list: Vec::new(), every: settings.checkpoint_every_ms, max: settings.max_checkpoints.max(2) }
    }

    /// Keeps a copy of `sim` if the last one is far enough behind; past the
    /// bound, every other checkpoint goes and the spacing doubles, so an
    /// hour or a week of history costs the same number of copies.
    fn maybe_take(&mut self, sim: &Simulation, applied: usize) {
        let due = self.list.last().is_none_or(|c| sim.now() >= c.at + self.every);
        if !due {
            return;
        }
        let mut sim = sim.clone();
        // A checkpoint is a state, not a stream: what the live room has yet
        // to publish is not its to keep (and would cost memory per copy).
        sim.record_history(false);
        self.list.push(Checkpoint { at: sim.now(), applied, sim });
        if self.list.len() > self.max {
            let mut i = 0;
            self.list.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.every *= 2;
        }
    }

    /// The latest checkpoint at or before `at`.
    fn before(&self, at: Millis) -> Option<&Checkpoint> {
        self.list.iter().rev().find(|c| c.at <= at)
    }

    /// Advances `sim` to `to` one spacing at a time, keeping checkpoints on
    /// the way. A replay (restore, fork, import) jumps from one input to the
    /// next; taking a checkpoint only after each input left a run's quiet
    /// stretches without any, so a `seek` into one (or the recent window a
    /// preloaded room shows on opening, computed on the room's task) replayed
    /// the whole stretch: a week of an imported idle run, on an async
    /// worker, at every seek. Stepping costs nothing extra: the simulation is
    /// event-driven, and a live room advances in far smaller steps.
    fn advance(&mut self, sim: &mut Simulation, to: Millis, applied: usize, deadline: Deadline) -> Result<(), String> {
        while sim.now() < to {
            deadline.check()?;
            sim.advance(sim.now().saturating_add(self.every.max(1)).min(to));
            self.maybe_take(sim, applied);
        }
        Ok(())
    }
}

/// When a replay is given up. A valid run bounds its inputs, its time and
/// its timers (see `shared::sim::replay::MAX_REPLAY_ROUNDS`), but not what
/// each input costs once the room is big: 40 000 people's likes under last
/// writer wins replayed in 8.6 s, 200 000 under event push in 16.5 s, and
/// the cost grows faster than the count. Past the deadline the replay
/// stops, and the room is shown broken, saying why, rather than keep a
/// replay thread busy for minutes (at an import, a fork, and every reopen).
/// The public room has none: it is everyone's, and its log is compacted.
#[derive(Debug, Clone, Copy)]
struct Deadline(Option<(std::time::Instant, Duration)>);

impl Deadline {
    fn after(limit: Duration) -> Deadline {
        Deadline(Some((std::time::Instant::now() + limit, limit)))
    }

    fn check(self) -> Result<(), String> {
        match self.0 {
            Some((at, limit)) if std::time::Instant::now() > at => Err(format!(
                "replaying it took longer than {} s, the most this server gives a room's history",
                limit.as_secs_f64()
            )),
            _ => Ok(()),
        }
    }
}

/// Rebuilds a stored room, or says clearly why it cannot. Pure and
/// CPU-bound: run on a blocking thread.
fn restore(stored: Stored, settings: &RoomSettings, deadline: Deadline) -> Result<Restored, String> {
    if stored.room.format != FORMAT {
        return Err(format!("its log has format {}, this server reads format {FORMAT}", stored.room.format));
    }
    let config: SimConfig = serde_json::from_str(&stored.room.config_json)
        .map_err(|e| format!("its configuration cannot be read ({e})"))?;
    let base = match &stored.base {
        Some(b) => Some(
            Base::parse(b.at_ms, &b.likes_json).map_err(|e| format!("its compacted history cannot be read ({e})"))?,
        ),
        None => None,
    };
    let mut log = Vec::with_capacity(stored.inputs.len());
    for row in &stored.inputs {
        let command: Command = serde_json::from_str(&row.command_json)
            .map_err(|e| format!("log entry {} cannot be read ({e})", row.seq))?;
        log.push(Input { at: row.at_ms, command });
    }
    let seqs = stored.inputs.iter().map(|r| r.seq).collect();
    let next_seq = stored.inputs.last().map_or(0, |r| r.seq + 1);
    let mut sim = Simulation::new(config.clone());
    if let Some(base) = &base {
        for input in base.inputs() {
            sim.input(&input);
        }
    }
    let mut checkpoints = Checkpoints::new(settings);
    checkpoints.maybe_take(&sim, 0);
    for (i, input) in log.iter().enumerate() {
        checkpoints.advance(&mut sim, input.at, i, deadline)?;
        deadline.check()?;
        sim.input(input);
        checkpoints.maybe_take(&sim, i + 1);
    }
    let presenter = stored.room.presenter.clone();
    Ok(Restored { config, sim, base, log, seqs, next_seq, checkpoints, stored: true, broken: None, presenter })
}

/// A new room from a whole run (a fork or an import), at its `until_ms`.
fn preloaded(run: Run, presenter: String, settings: &RoomSettings) -> Result<Restored, String> {
    let deadline = Deadline::after(settings.max_replay);
    let mut r = fresh(run.config.clone(), settings, true);
    r.presenter = Some(presenter);
    for (i, input) in run.inputs.iter().enumerate() {
        r.checkpoints.advance(&mut r.sim, input.at, i, deadline)?;
        deadline.check()?;
        r.sim.input(input);
        r.checkpoints.maybe_take(&r.sim, i + 1);
    }
    r.checkpoints.advance(&mut r.sim, run.until_ms, run.inputs.len(), deadline)?;
    r.next_seq = run.inputs.len() as u64;
    r.seqs = (0..run.inputs.len() as u64).collect();
    r.log = run.inputs;
    Ok(r)
}

fn fresh(config: SimConfig, settings: &RoomSettings, stored: bool) -> Restored {
    let sim = Simulation::new(config.clone());
    let mut checkpoints = Checkpoints::new(settings);
    checkpoints.maybe_take(&sim, 0);
    Restored {
        config,
        sim,
        base: None,
        log: Vec::new(),
        seqs: Vec::new(),
        next_seq: 0,
        checkpoints,
        stored,
        broken: None,
        presenter: None,
    }
}

fn room_row(config: &SimConfig, presenter: Option<String>) -> RoomRow {
    RoomRow {
        seed: config.seed,
        config_json: serde_json::to_string(config).unwrap_or_default(),
        format: FORMAT,
        presenter,
    }
}

fn input_row(seq: u64, input: &Input) -> InputRow {
    InputRow { seq, at_ms: input.at, command_json: serde_json::to_string(&input.command).unwrap_or_default() }
}

struct Room {
    id: RoomId,
    settings: RoomSettings,
    config: SimConfig,
    sim: Simulation,
    clock: Clock,
    store: Store,
    /// Whether the room's row exists in storage.
    stored: bool,
    /// Why the room's stored history could not be restored: it then takes
    /// no input (which would be logged after a history it cannot replay).
    broken: Option<String>,
    base: Option<Base>,
    /// Every input applied, in order, and its seq in storage (`seqs[i]` is
    /// `log[i]`'s; not contiguous where an append failed).
    log: Vec<Input>,
    seqs: Vec<u64>,
    next_seq: u64,
    pending: VecDeque<Pending>,
    acks: mpsc::UnboundedSender<Committed>,
    acks_rx: mpsc::UnboundedReceiver<Committed>,
    checkpoints: Checkpoints,
    registry: Weak<Rooms>,
    /// A handle to ourselves, for the membership guards we hand out.
    me: RoomHandle,
    /// Each viewer's channel for messages addressed to it alone.
    viewers: HashMap<ViewerId, mpsc::Sender<Utf8Bytes>>,
    /// Who each viewer that said hello is, and their home region.
    people: HashMap<ViewerId, (PersonId, RegionId)>,
    /// Bumped when `people` or `presenting` changes, so a frame follows.
    people_version: u64,
    /// The presenter token's hash; `None`: everyone may change the room.
    presenter: Option<String>,
    /// The viewers that showed the token (ordered: the first one's name is
    /// shown).
    presenting: BTreeSet<ViewerId>,
    /// Who changed what, announced in every frame.
    changes: ChangeLog,
    next_viewer: ViewerId,
    frames: watch::Sender<Published>,
    frame_seq: u64,
    /// The last published frame as JSON, to make the next delta against.
    last_frame: Option<serde_json::Value>,
    last_keyframe: Option<Instant>,
    /// Bumped by every time control, so frames show a pause at once.
    time_version: u64,
    /// The history stream (see `shared::protocol::history`): the number of
    /// the next event, the simulated time the last frame's events reached,
    /// and the most recent events, which a joining viewer gets in its
    /// snapshot (bounded: [`RECENT_EVENTS`]).
    history_next: u64,
    history_to: Millis,
    recent: VecDeque<HistoryEvent>,
    /// The room's time left for seeks, forks and exports.
    answers: WorkBudget,
    /// What the last published frame showed, to skip identical frames.
    published: Option<(u64, usize, u64, u64)>,
    last_publish: Option<Instant>,
    idle_since: Option<Instant>,
}

impl Room {
    async fn open(
        id: RoomId,
        settings: RoomSettings,
        me: RoomHandle,
        registry: Weak<Rooms>,
        store: Store,
        start: Start,
    ) -> Room {
        let new_config = || {
            let config = SimConfig { seed: rand::random(), time_scale: settings.time_scale, ..SimConfig::default() };
            if id.is_public() {
                base::public_config(config)
            } else {
                config
            }
        };
        let restored = match start {
            Start::Open => match store.load(&id).await {
                Ok(None) => fresh(new_config(), &settings, false),
                Ok(Some(stored)) => {
                    let started = std::time::Instant::now();
                    let s = settings.clone();
                    let deadline = if id.is_public() { Deadline(None) } else { Deadline::after(s.max_replay) };
                    match tokio::task::spawn_blocking(move || restore(stored, &s, deadline)).await {
                        Ok(Ok(restored)) => {
                            tracing::info!(room = %id, inputs = restored.log.len(), took = ?started.elapsed(), "room restored");
                            restored
                        }
                        Ok(Err(why)) => broken(&id, new_config(), &settings, why),
                        Err(e) => broken(&id, new_config(), &settings, format!("restoring it failed ({e})")),
                    }
                }
                Err(why) => broken(&id, new_config(), &settings, why),
            },
            Start::Preloaded(run, presenter) => {
                let rows: Vec<InputRow> =
                    run.inputs.iter().enumerate().map(|(i, input)| input_row(i as u64, input)).collect();
                match store.import(&id, room_row(&run.config, Some(presenter.clone())), rows).await {
                    Ok(()) => {
                        // Replaying up to a week of history is CPU work:
                        // off the async workers, like a restore.
                        let (config, s) = (run.config.clone(), settings.clone());
                        match tokio::task::spawn_blocking(move || preloaded(run, presenter, &s)).await {
                            Ok(Ok(r)) => r,
                            Ok(Err(why)) => broken(&id, config, &settings, why),
                            Err(e) => broken(&id, config, &settings, format!("replaying it failed ({e})")),
                        }
                    }
                    Err(why) => broken(&id, run.config, &settings, why),
                }
            }
        };
        let (frames, _) = watch::channel(Published::default());
        let (acks, acks_rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let answers = WorkBudget::new(settings.answer_share, settings.answer_burst, now);
        let clock = Clock { anchor_real: now, anchor_sim: restored.sim.now(), speed: 1.0, paused: false };
        let mut room = Room {
            id,
            settings,
            config: restored.config,
            sim: restored.sim,
            clock,
            store,
            stored: restored.stored,
            broken: restored.broken,
            base: restored.base,
            log: restored.log,
            seqs: restored.seqs,
            next_seq: restored.next_seq,
            pending: VecDeque::new(),
            acks,
            acks_rx,
            checkpoints: restored.checkpoints,
            registry,
            me,
            viewers: HashMap::new(),
            people: HashMap::new(),
            people_version: 0,
            presenter: restored.presenter,
            presenting: BTreeSet::new(),
            changes: ChangeLog::default(),
            next_viewer: 1,
            frames,
            frame_seq: 0,
            last_frame: None,
            last_keyframe: None,
            history_next: 0,
            history_to: 0,
            recent: VecDeque::new(),
            time_version: 0,
            answers,
            published: None,
            last_publish: None,
            idle_since: Some(now),
        };
        // A restored, forked or imported room shows its recent past at
        // once: replay the window before now (cheap: from a checkpoint).
        let (_, window) = room.window(room.sim.now());
        room.history_to = window.to_ms;
        room.recent.extend(window.events.into_iter().rev().take(RECENT_EVENTS).rev());
        room.history_next = room.recent.len() as u64;
        room.sim.record_history(true);
        // A public room recorded when it took claps replays as recorded,
        // then switches with a logged control (see `base`).
        if room.id.is_public() && room.broken.is_none() && base::needs_switch(room.sim.data_type()) {
            tracing::info!(room = %room.id, "the public room switches to one like per person");
            room.accept(SYSTEM, base::switch(), now);
        }
        room.publish(now);
        room
    }

    async fn run(mut self, mut rx: mpsc::Receiver<RoomCommand>) {
        tracing::info!(room = %self.id, "room opened");
        loop {
            let wake = self.next_wake();
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(RoomCommand::Stop) => {
                        self.refuse_pending();
                        return;
                    }
                    Some(cmd) => self.handle(cmd),
                    None => return,
                },
                Some(committed) = self.acks_rx.recv() => self.committed(committed),
                _ = tokio::time::sleep_until(wake) => {}
            }
            let now = Instant::now();
            self.advance(now);
            if self.is_dirty() && self.frame_due(now) <= now {
                self.publish(now);
            }
            if let Some(idle) = self.idle_since {
                // Not while inputs await storage: their answers would go
                // nowhere, and a room reopened at once must find them.
                if now.duration_since(idle) >= self.settings.idle_ttl && self.pending.is_empty() {
                    // Refuse new commands first, then drain what already
                    // queued (joins racing with expiry get a closed reply and
                    // the registry starts a fresh room for them).
                    rx.close();
                    return;
                }
            }
        }
    }

    /// Moves the simulation to the clock's time — but never past an input
    /// still waiting for storage: it must be applied at its own time, as a
    /// replay of the log will.
    fn advance(&mut self, now: Instant) {
        let mut to = self.clock.at(now);
        if let Some(first) = self.pending.front() {
            to = to.min(first.input.at);
        }
        self.sim.advance(to);
        self.checkpoints.maybe_take(&self.sim, self.log.len());
    }

    fn handle(&mut self, cmd: RoomCommand) {
        let now = Instant::now();
        match cmd {
            RoomCommand::Join { reply } => {
                if self.viewers.len() >= self.settings.max_viewers {
                    let _ = reply.send(Err(RoomFull(self.settings.max_viewers)));
                    return;
                }
                let viewer = self.next_viewer;
                self.next_viewer += 1;
                let (direct_tx, direct) = mpsc::channel(self.settings.direct_capacity);
                let replies = direct_tx.clone();
                self.viewers.insert(viewer, direct_tx);
                self.idle_since = None;
                // The joiner's snapshot already counts them.
                self.advance(now);
                let snapshot = self.snapshot();
                let joined = Joined {
                    viewer,
                    snapshot,
                    frames: self.frames.subscribe(),
                    direct,
                    replies,
                    membership: Membership { viewer, room: self.me.clone() },
                };
                if reply.send(Ok(joined)).is_err() {
                    // The joiner gave up; its Membership guard (dropped with
                    // the unsent reply) queues a Leave for it.
                }
                if let Some(why) = &self.broken {
                    self.tell(viewer, ServerMessage::Error(storage_error(why)));
                }
                tracing::debug!(room = %self.id, viewer, viewers = self.viewers.len(), "joined");
            }
            RoomCommand::Leave { viewer } => {
                self.viewers.remove(&viewer);
                if self.people.remove(&viewer).is_some() | self.presenting.remove(&viewer) {
                    self.people_version += 1;
                }
                if self.viewers.is_empty() {
                    self.idle_since = Some(now);
                }
                tracing::debug!(room = %self.id, viewer, viewers = self.viewers.len(), "left");
            }
            RoomCommand::Like { viewer, region } => self.accept(viewer, Command::Like(region), now),
            RoomCommand::Act { viewer, region, act } => {
                // In a room of claps a person's like is a clap: log it as one,
                // so the public room's log still folds into counts.
                let command = match (self.sim.data_type().is_set(), act) {
                    (false, Act::Like(_) | Act::Clap) => Command::Like(region),
                    _ => Command::Act { region, act },
                };
                self.accept(viewer, command, now)
            }
            RoomCommand::SuperLike { viewer, region, person } => {
                // Super likes move money between services: a lab feature,
                // kept out of the public room (whose log folds into counts
                // of likes, which a saga is not).
                if self.refuse_if_public(viewer) {
                    return;
                }
                self.accept(viewer, Command::SuperLike { region, person }, now)
            }
            RoomCommand::Hello { viewer, person, home } => {
                if self.viewers.contains_key(&viewer)
                    && self.people.insert(viewer, (person, home)) != Some((person, home))
                {
                    self.people_version += 1;
                }
            }
            RoomCommand::Control { viewer, control } => {
                if self.refuse_if_public(viewer) || self.refuse_if_not_presenting(viewer) {
                    return;
                }
                tracing::debug!(room = %self.id, viewer, ?control, "control");
                self.accept(viewer, Command::Control(control), now);
            }
            RoomCommand::Time { viewer, control } => {
                if self.refuse_if_public(viewer) || self.refuse_if_not_presenting(viewer) {
                    return;
                }
                let who = self.name_of(viewer);
                self.changes.push(self.sim.now(), who.as_deref(), changes::describe_time(control));
                self.time(control, now);
            }
            RoomCommand::Present { viewer, token } => self.present(viewer, &token),
            RoomCommand::Seek { viewer, at_ms } => self.answer(viewer, "seek", |room| room.seek(viewer, at_ms)),
            RoomCommand::Fork { viewer, at_ms } => self.answer(viewer, "fork", |room| room.fork(viewer, at_ms)),
            RoomCommand::Export { viewer } => {
                // An export is megabytes: one at a time per viewer. While
                // anything is still queued for this viewer (its last export,
                // say, to a client that does not read), another would only
                // pile up in memory, ten copies for ten requests.
                if self.viewers.get(&viewer).is_some_and(|tx| tx.capacity() < tx.max_capacity()) {
                    let why = "the room's last answers to you are still being sent; \
                               this export was not answered, try again in a moment";
                    self.tell(viewer, ServerMessage::Error(ProtocolError::new(ErrorCode::RateLimited, why)));
                    return;
                }
                self.answer(viewer, "export", |room| {
                    let run = room.run_until(room.sim.now());
                    room.tell(viewer, ServerMessage::Run { run });
                });
            }
            RoomCommand::Stop => {} // handled by the loop
        }
    }

    /// Answers one viewer's seek, fork or export (`what`) within the room's
    /// [`WorkBudget`], or tells it the room is too busy to.
    fn answer(&mut self, viewer: ViewerId, what: &str, work: impl FnOnce(&mut Room)) {
        let started = Instant::now();
        if !self.answers.allow(started) {
            let why = format!(
                "the room is busy answering seeks, forks and exports; this {what} was not answered, \
                 try again in a moment"
            );
            self.tell(viewer, ServerMessage::Error(ProtocolError::new(ErrorCode::RateLimited, why)));
            return;
        }
        work(self);
        self.answers.spend(started.elapsed());
    }

    /// The public room is what a shared link lands on: anyone could break
    /// it for everyone, so it only takes likes.
    fn refuse_if_public(&self, viewer: ViewerId) -> bool {
        if self.id.is_public() {
            let err = ProtocolError::new(
                ErrorCode::Locked,
                "the public room only takes likes; press New room for a private room you can break",
            );
            self.tell(viewer, ServerMessage::Error(err));
        }
        self.id.is_public()
    }

    /// In a room with a presenter, only a presenting viewer may change it.
    fn refuse_if_not_presenting(&self, viewer: ViewerId) -> bool {
        if self.presenter.is_none() || self.presenting.contains(&viewer) {
            return false;
        }
        let who = self.presenter_view().and_then(|p| p.name).unwrap_or_else(|| "The presenter".to_owned());
        let err = ProtocolError::new(
            ErrorCode::NotPresenter,
            format!("{who} presents this room: controls are read-only for you; likes are open to everyone"),
        );
        self.tell(viewer, ServerMessage::Error(err));
        true
    }

    /// A viewer shows a presenter token: right, it presents from now on
    /// (until it leaves); wrong, or a room without one, it is told so.
    fn present(&mut self, viewer: ViewerId, token: &str) {
        if self.refuse_if_public(viewer) {
            return;
        }
        let right = self.presenter.as_deref().is_some_and(|hash| crate::presenter::matches(hash, token));
        if !self.viewers.contains_key(&viewer) {
            return;
        }
        if right {
            if self.presenting.insert(viewer) {
                self.people_version += 1;
            }
            self.tell(viewer, ServerMessage::Presenting);
        } else {
            let why = if self.presenter.is_some() {
                "this presenter link is not this room's: you can like and watch, the presenter changes the room"
            } else {
                "this room has no presenter: everyone in it may change it"
            };
            self.tell(viewer, ServerMessage::Error(ProtocolError::new(ErrorCode::NotPresenter, why)));
        }
    }

    /// Who presents, for frames; `None` in a room without a presenter.
    fn presenter_view(&self) -> Option<PresenterView> {
        self.presenter.as_ref()?;
        let here = !self.presenting.is_empty();
        let name = self.presenting.iter().find_map(|v| self.name_of(*v));
        Some(PresenterView { here, name })
    }

    /// The name of the person behind a viewer, if it said who it is.
    fn name_of(&self, viewer: ViewerId) -> Option<String> {
        self.people.get(&viewer).map(|(person, _)| shared::people::name(*person))
    }

    /// Stamps an input with the room's simulated time and sends it to
    /// storage; it is applied when the storage acknowledges it.
    fn accept(&mut self, viewer: ViewerId, command: Command, now: Instant) {
        if let Some(why) = &self.broken {
            self.tell(viewer, ServerMessage::Error(storage_error(why)));
            return;
        }
        // Never earlier than what is already applied or waiting: the log
        // is in time order, and a paused room takes inputs at its instant.
        let mut at = self.clock.at(now).max(self.sim.now());
        if let Some(last) = self.pending.back() {
            at = at.max(last.input.at);
        }
        let input = Input { at, command };
        let seq = self.next_seq;
        let sent = (|| {
            if !self.stored {
                self.store.create(&self.id, room_row(&self.config, self.presenter.clone()))?;
                self.stored = true;
            }
            self.store.append(&self.id, input_row(seq, &input), &self.acks)
        })();
        match sent {
            Ok(()) => {
                self.next_seq += 1;
                self.pending.push_back(Pending { seq, input, viewer, outcome: None });
            }
            Err(e) => self.tell(viewer, ServerMessage::Error(storage_error(&format!("{e}; this was not applied")))),
        }
    }

    /// The room is stopped with inputs still waiting for storage (a cluster
    /// node lost the room's lease, so their appends are refused anyway):
    /// each viewer hears that its input was not applied.
    fn refuse_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            let what = match p.input.command {
                Command::Like(_) => "this like was not counted",
                Command::Act { .. } => "this like or unlike was not applied",
                Command::SuperLike { .. } => "this super like was not started",
                Command::Control(_) => "the change was not applied",
            };
            let why = format!("this server handed the room to another one before storing it; {what}, try again");
            self.tell(p.viewer, ServerMessage::Error(storage_error(&why)));
        }
    }

    /// Storage answered: apply, in order, every input at the front that
    /// has its answer.
    fn committed(&mut self, committed: Committed) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.seq == committed.seq) {
            p.outcome = Some(committed.result);
        }
        while self.pending.front().is_some_and(|p| p.outcome.is_some()) {
            let Some(Pending { seq, input, viewer, outcome }) = self.pending.pop_front() else { break };
            match outcome {
                Some(Ok(())) => self.apply(viewer, seq, input),
                Some(Err(why)) => {
                    tracing::error!(room = %self.id, error = %why, "an input was not stored");
                    let what = match input.command {
                        Command::Like(_) | Command::Act { .. } => "this like was not counted",
                        Command::SuperLike { .. } => "this super like was not started",
                        Command::Control(_) => "the change was not applied",
                    };
                    self.tell(viewer, ServerMessage::Error(storage_error(&format!("{why}; {what}"))));
                }
                None => {}
            }
        }
    }

    fn apply(&mut self, viewer: ViewerId, seq: u64, input: Input) {
        self.sim.advance(input.at);
        match &input.command {
            Command::Like(region) => {
                if let Err(refusal) = self.sim.like(*region, input.at) {
                    let err = ProtocolError::new(ErrorCode::Refused, format!("{refusal}; this like was not counted"));
                    self.tell(viewer, ServerMessage::Error(err));
                }
            }
            Command::Act { region, act } => {
                if let Err(refusal) = self.sim.act(*region, *act, input.at) {
                    let err = ProtocolError::new(ErrorCode::Refused, format!("{refusal}; this was not counted"));
                    self.tell(viewer, ServerMessage::Error(err));
                }
            }
            Command::SuperLike { region, person } => {
                if let Err(refusal) = self.sim.super_like(*region, *person, input.at) {
                    let err =
                        ProtocolError::new(ErrorCode::Refused, format!("{refusal}; this super like was not started"));
                    self.tell(viewer, ServerMessage::Error(err));
                }
            }
            Command::Control(control) => {
                let what = changes::describe(control, |a, b| self.sim.is_cut(a, b));
                let who = self.name_of(viewer);
                self.changes.push(input.at, who.as_deref(), what);
                self.sim.apply(control.clone())
            }
        }
        self.log.push(input);
        self.seqs.push(seq);
        self.compact_if_long();
    }

    /// The public room's log is bounded: past `public_log_cap` inputs, the
    /// oldest half is folded into the base (see `store`).
    fn compact_if_long(&mut self) {
        if !self.id.is_public() || self.log.len() <= self.settings.public_log_cap {
            return;
        }
        let k = self.log.len() / 2;
        if k == 0 {
            return;
        }
        // The public room takes likes (and once, the switch to a set); a
        // prefix holding anything else is left as it is (never dropped).
        let mut base = self.base.clone().unwrap_or_else(Base::empty);
        if !base.fold(&self.config, &self.log[..k]) {
            return;
        }
        self.log.drain(..k);
        let through_seq = self.seqs[k - 1];
        self.seqs.drain(..k);
        let base_row = BaseRow { at_ms: base.at, likes_json: base.to_json() };
        if let Err(e) = self.store.compact(&self.id, through_seq, base_row) {
            tracing::error!(room = %self.id, error = %e, "compaction failed");
        }
        // Checkpoints before the base describe a history no longer kept.
        let at = base.at;
        self.base = Some(base);
        self.checkpoints.list.retain(|c| c.applied >= k && c.at >= at);
        for c in &mut self.checkpoints.list {
            c.applied -= k;
        }
        tracing::info!(room = %self.id, folded = k, "compacted the public room's log");
    }

    fn time(&mut self, control: TimeControl, now: Instant) {
        self.time_version += 1;
        match control {
            TimeControl::Pause => {
                self.clock.rebase(now);
                self.clock.paused = true;
                self.advance(now);
            }
            TimeControl::Resume => self.clock.resume(now),
            TimeControl::SetSpeed(speed) => {
                self.clock.rebase(now);
                self.clock.speed = speed;
            }
            TimeControl::Step => {
                if !self.clock.paused {
                    self.clock.rebase(now);
                    self.clock.paused = true;
                }
                self.advance(now);
                if self.pending.is_empty() {
                    if let Some(at) = self.sim.next_event_at() {
                        self.clock.anchor_sim = self.clock.anchor_sim.max(at);
                        self.advance(now);
                    }
                }
            }
        }
    }

    /// The room's inputs with times up to `until` (the base expanded).
    fn inputs_until(&self, until: Millis) -> Vec<Input> {
        let base = self.base.iter().flat_map(|b| b.inputs());
        base.chain(self.log.iter().take_while(|i| i.at <= until).cloned()).collect()
    }

    fn run_until(&self, until: Millis) -> Run {
        Run {
            format: RUN_FORMAT,
            seed: self.config.seed,
            config: self.config.clone(),
            inputs: self.inputs_until(until),
            until_ms: until,
        }
    }

    fn history_from(&self) -> Millis {
        self.base.as_ref().map_or(0, |b| b.at)
    }

    /// The room as it was at `at`: from the nearest checkpoint, replays the
    /// log up to `at`.
    fn past(&self, at: Millis) -> Simulation {
        let mut sim = match self.checkpoints.before(at) {
            Some(c) => {
                let mut sim = c.sim.clone();
                for input in self.log[c.applied..].iter().take_while(|i| i.at <= at) {
                    sim.input(input);
                }
                sim
            }
            None => replay(self.config.clone(), &self.inputs_until(at), at),
        };
        sim.advance(at);
        sim
    }

    /// The room at `at` and its history around it: from `SEEK_BEFORE_MS`
    /// before to `SEEK_AFTER_MS` after (never past now), replayed with the
    /// history stream on, bounded to `MAX_SEEK_EVENTS`.
    fn window(&self, at: Millis) -> (Simulation, HistoryChunk) {
        let start = at.saturating_sub(SEEK_BEFORE_MS).max(self.history_from());
        let end = (at + SEEK_AFTER_MS).min(self.sim.now()).max(at);
        let mut sim = self.past(start);
        sim.record_history(true);
        let mut shown = None;
        for input in self.log.iter().filter(|i| i.at > start && i.at <= end) {
            if shown.is_none() && input.at > at {
                sim.advance(at);
                shown = Some(sim.clone());
            }
            sim.input(input);
        }
        let shown = shown.unwrap_or_else(|| {
            sim.advance(at);
            sim.clone()
        });
        sim.advance(end);
        let (mut events, dropped) = sim.take_history();
        history::thin_counts(&mut events, COUNTS_EVERY_MS);
        let skipped = dropped + history::bound(&mut events, MAX_SEEK_EVENTS);
        (shown, HistoryChunk { first: 0, events, skipped, from_ms: start, to_ms: end })
    }

    fn seek(&mut self, viewer: ViewerId, at_ms: Millis) {
        let now = self.sim.now();
        if at_ms < self.history_from() {
            let err = invalid(format!("the history before {} ms was compacted", self.history_from()));
            self.tell(viewer, ServerMessage::Error(err));
            return;
        }
        let at = at_ms.min(now);
        let (sim, window) = self.window(at);
        let frame = Frame {
            seq: self.frame_seq,
            viewers: self.viewers.len() as u32,
            sim: sim.view_listing(packets_listed(self.viewers.len())),
            time: self.time_view(),
            history: Some(window),
            people: self.people_per_region(),
            presenter: self.presenter_view(),
            changes: self.changes.entries(),
        };
        self.tell(viewer, ServerMessage::Past { at_ms: at, frame });
    }

    fn fork(&mut self, viewer: ViewerId, at_ms: Millis) {
        if let Some(why) = &self.broken {
            self.tell(viewer, ServerMessage::Error(storage_error(why)));
            return;
        }
        if at_ms < self.history_from() {
            let err = invalid(format!("the history before {} ms was compacted", self.history_from()));
            self.tell(viewer, ServerMessage::Error(err));
            return;
        }
        let at = at_ms.min(self.sim.now());
        let run = self.run_until(at);
        let answer = match self.registry.upgrade() {
            Some(rooms) => match rooms.start_new(run) {
                Ok((room, token)) => ServerMessage::Forked {
                    room: room.to_string(),
                    at_ms: at,
                    presenter: Some(token.as_str().to_owned()),
                },
                Err(e) => ServerMessage::Error(ProtocolError::new(ErrorCode::RoomUnavailable, e.to_string())),
            },
            None => ServerMessage::Error(ProtocolError::new(ErrorCode::RoomUnavailable, "the server is stopping")),
        };
        self.tell(viewer, answer);
    }

    /// Sends a message to one viewer, best effort: a viewer too slow to take
    /// even its own error messages misses them, and nobody else is affected.
    fn tell(&self, viewer: ViewerId, msg: ServerMessage) {
        if let Some(tx) = self.viewers.get(&viewer) {
            if let Ok(json) = serde_json::to_string(&msg) {
                let _ = tx.try_send(Utf8Bytes::from(json));
            }
        }
    }

    fn is_dirty(&self) -> bool {
        self.published != Some((self.sim.version(), self.viewers.len(), self.time_version, self.people_version))
    }

    fn frame_due(&self, now: Instant) -> Instant {
        let interval = frame_interval_for(self.settings.frame_interval, self.viewers.len());
        self.last_publish.map_or(now, |t| t + interval)
    }

    /// When the loop must wake up next if no command arrives.
    fn next_wake(&self) -> Instant {
        let now = Instant::now();
        let mut wake = now + Duration::from_secs(3600);
        // While inputs await storage, the acknowledgement wakes the loop.
        if !self.clock.paused && self.pending.is_empty() {
            if let Some(at) = self.sim.next_event_at() {
                wake = wake.min(self.clock.real(at));
            }
        }
        if self.is_dirty() {
            wake = wake.min(self.frame_due(now));
        }
        if let Some(idle) = self.idle_since {
            wake = wake.min(idle + self.settings.idle_ttl);
        }
        wake
    }

    fn time_view(&self) -> TimeView {
        TimeView { paused: self.clock.paused, speed: self.clock.speed, history_from_ms: self.history_from() }
    }

    fn frame(&mut self) -> Frame {
        Frame {
            seq: self.frame_seq,
            viewers: self.viewers.len() as u32,
            sim: self.sim.view_listing(packets_listed(self.viewers.len())),
            time: self.time_view(),
            history: None,
            people: self.people_per_region(),
            presenter: self.presenter_view(),
            changes: self.changes.entries(),
        }
    }

    /// Distinct people per home region: a person with two tabs open counts
    /// once for each home region their tabs gave.
    fn people_per_region(&self) -> Vec<u32> {
        let distinct: std::collections::HashSet<(PersonId, RegionId)> = self.people.values().copied().collect();
        let mut counts = vec![0u32; RegionId::COUNT];
        for (_, home) in distinct {
            counts[home.index()] += 1;
        }
        counts
    }

    fn snapshot(&mut self) -> Utf8Bytes {
        let msg = ServerMessage::Snapshot(Snapshot {
            protocol: PROTOCOL_VERSION,
            room: self.id.to_string(),
            public: self.id.is_public(),
            regions: RegionInfo::catalog(),
            latency_ms: self.sim.latency().clone(),
            strategies: StrategyDescription::all(),
            frame: Frame { history: Some(self.recent_chunk(self.events_per_message())), ..self.frame() },
        });
        Utf8Bytes::from(serde_json::to_string(&msg).unwrap_or_default())
    }

    /// Most events one frame (or a joiner's snapshot) carries.
    fn events_per_message(&self) -> usize {
        if self.viewers.len() > CROWDED_VIEWERS {
            CROWDED_EVENTS
        } else {
            history::MAX_EVENTS_PER_FRAME
        }
    }

    /// The last `most` recent events, for a joining viewer; the next frame's
    /// chunk continues exactly where this one ends.
    fn recent_chunk(&self, most: usize) -> HistoryChunk {
        let skip = self.recent.len().saturating_sub(most);
        let events: Vec<HistoryEvent> = self.recent.iter().skip(skip).cloned().collect();
        HistoryChunk {
            first: self.history_next - events.len() as u64,
            from_ms: events.first().map_or(self.history_to, HistoryEvent::at),
            events,
            skipped: 0,
            to_ms: self.history_to,
        }
    }

    /// The events since the last frame, bounded, remembered in `recent`.
    fn history_chunk(&mut self) -> Option<HistoryChunk> {
        let (mut events, dropped) = self.sim.take_history();
        // Counts change at every delivery; the timeline needs a step per
        // COUNTS_EVERY_MS at most (a pixel is ~100 ms of a minute's run).
        history::thin_counts(&mut events, COUNTS_EVERY_MS);
        // A crowded room sends fewer events per frame: its bytes go to
        // every viewer (the counts and markers still fit).
        let cap = self.events_per_message();
        let skipped = dropped + history::bound(&mut events, cap);
        let from_ms = self.history_to;
        self.history_to = self.sim.now();
        if events.is_empty() && skipped == 0 {
            return None;
        }
        let chunk = HistoryChunk { first: self.history_next, events, skipped, from_ms, to_ms: self.history_to };
        self.history_next = chunk.next();
        // Skipped events leave a hole the joiner would not see; the ring
        // only holds what was sent, so a hole restarts it.
        if skipped > 0 {
            self.recent.clear();
        }
        self.recent.extend(chunk.events.iter().cloned());
        while self.recent.len() > RECENT_EVENTS {
            self.recent.pop_front();
        }
        Some(chunk)
    }

    fn publish(&mut self, now: Instant) {
        self.frame_seq += 1;
        let history = self.history_chunk();
        let frame = ServerMessage::Frame(Frame { history, ..self.frame() });
        let value = match serde_json::to_value(&frame) {
            Ok(value) => value,
            Err(e) => {
                tracing::error!(room = %self.id, error = %e, "could not serialize a frame");
                serde_json::Value::Null
            }
        };
        let interval = self.settings.keyframe_interval;
        let key_due = interval.is_zero() || self.last_keyframe.is_none_or(|t| now >= t + interval);
        let delta = match (&self.last_frame, key_due) {
            (Some(prev), false) => delta::frame_delta(prev, &value).map(|d| Utf8Bytes::from(d.to_string())),
            _ => None,
        };
        if delta.is_none() {
            self.last_keyframe = Some(now);
        }
        if !value.is_null() {
            let full = Utf8Bytes::from(value.to_string());
            self.frames.send_replace(Published { seq: self.frame_seq, full, delta });
            self.last_frame = Some(value);
        }
        self.published = Some((self.sim.version(), self.viewers.len(), self.time_version, self.people_version));
        let interval = frame_interval_for(self.settings.frame_interval, self.viewers.len());
        self.last_publish = Some(frame_sent_at(self.last_publish, interval, now));
    }
}

/// A room whose stored history cannot be used: shown empty, refusing input.
fn broken(id: &RoomId, config: SimConfig, settings: &RoomSettings, why: String) -> Restored {
    tracing::error!(room = %id, error = %why, "the room's stored history cannot be restored");
    let mut r = fresh(config, settings, true);
    r.broken = Some(format!(
        "this room's saved history cannot be read: {why}. It is shown empty and takes no likes or changes, \
         so that nothing is written after a history that cannot be replayed; other rooms are not affected"
    ));
    r
}

fn storage_error(why: &str) -> ProtocolError {
    ProtocolError::new(ErrorCode::Storage, why)
}

fn invalid(why: String) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidValue, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_at_its_speed_and_stands_still_when_paused() {
        let t0 = Instant::now();
        let mut clock = Clock { anchor_real: t0, anchor_sim: 1_000, speed: 2.0, paused: false };
        assert_eq!(clock.at(t0 + Duration::from_millis(500)), 2_000);
        clock.rebase(t0 + Duration::from_millis(500));
        clock.paused = true;
        assert_eq!(clock.at(t0 + Duration::from_secs(60)), 2_000, "paused");
        clock.paused = false;
        clock.anchor_real = t0 + Duration::from_secs(60);
        clock.speed = 0.5;
        assert_eq!(clock.at(t0 + Duration::from_secs(62)), 3_000);
        // Waking at `real(at)` finds the clock at `at` or just past it.
        assert!(clock.at(clock.real(5_000)) >= 5_000);
        assert!(clock.at(clock.real(5_000)) <= 5_001);
    }

    #[test]
    fn resuming_a_running_clock_changes_nothing() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut clock = Clock { anchor_real: t0, anchor_sim: 0, speed: 1.0, paused: false };
        assert_eq!(clock.at(t0 + s(60)), 60_000);
        for i in 0..5 {
            clock.resume(t0 + s(60) + Duration::from_millis(i));
        }
        assert_eq!(clock.at(t0 + s(61)), 61_000, "time goes on, not back to the last anchor");
        // Paused, resume lets it run again from where it stood.
        clock.rebase(t0 + s(61));
        clock.paused = true;
        assert_eq!(clock.at(t0 + s(90)), 61_000);
        clock.resume(t0 + s(90));
        assert_eq!(clock.at(t0 + s(91)), 62_000);
    }

    #[test]
    fn checkpoints_stay_bounded_and_cover_the_whole_history() {
        let settings = RoomSettings { checkpoint_every_ms: 1_000, max_checkpoints: 8, ..RoomSettings::default() };
        let mut checkpoints = Checkpoints::new(&settings);
        let mut sim = Simulation::new(SimConfig::default());
        for t in (0..=100_000).step_by(100) {
            sim.advance(t);
            checkpoints.maybe_take(&sim, 0);
            assert!(checkpoints.list.len() <= 8);
        }
        assert_eq!(checkpoints.list[0].at, 0, "the start is always kept");
        assert!(checkpoints.every >= 12_500, "spacing doubled: {}", checkpoints.every);
        let last = checkpoints.list.last().unwrap().at;
        assert!(100_000 - last <= checkpoints.every, "the latest is recent: {last}");
        assert_eq!(checkpoints.before(50_000).map(|c| c.at <= 50_000), Some(true));
    }

    /// An imported (or forked) run with a long quiet stretch: its room must
    /// have checkpoints all along it, or every seek into it (and the window
    /// the room computes on opening, on its own task) replays the stretch.
    #[test]
    fn a_preloaded_run_has_checkpoints_through_its_quiet_stretches() {
        let settings = RoomSettings { checkpoint_every_ms: 1_000, max_checkpoints: 16, ..RoomSettings::default() };
        let tokyo = RegionId::parse("tokyo").unwrap();
        let hour = 3_600_000;
        let mut run = Run::empty(SimConfig::default());
        run.inputs =
            vec![Input { at: 10, command: Command::Like(tokyo) }, Input { at: hour, command: Command::Like(tokyo) }];
        run.until_ms = 2 * hour;
        let r = preloaded(run, String::new(), &settings).expect("within the deadline");
        assert_eq!(r.sim.now(), 2 * hour);
        let every = r.checkpoints.every;
        assert!(r.checkpoints.list.len() <= 16);
        for at in [hour / 2, hour - 1, hour + hour / 2, 2 * hour] {
            let c = r.checkpoints.before(at).expect("a checkpoint before every moment");
            assert!(at - c.at <= every, "at {at}: the nearest checkpoint is at {} (spacing {every})", c.at);
            // (One taken at `hour` itself may come before or after its input.)
            if c.at != hour {
                assert_eq!(c.applied, usize::from(c.at > hour) + 1, "at {at}");
            }
        }
        // The same for a room restored from storage: each input's gap too.
        let rows =
            |at: Millis, seq| InputRow { seq, at_ms: at, command_json: r#"{"type":"like","args":"tokyo"}"#.into() };
        let stored = Stored {
            room: room_row(&SimConfig::default(), None),
            base: None,
            inputs: vec![rows(10, 0), rows(hour, 1)],
        };
        let Ok(restored) = restore(stored, &settings, Deadline(None)) else { panic!("restores") };
        let c = restored.checkpoints.before(hour - 1).expect("a checkpoint");
        assert!(hour - 1 - c.at <= restored.checkpoints.every, "{} (spacing {})", c.at, restored.checkpoints.every);
    }

    /// A private room's replay that runs past the deadline is given up,
    /// saying why, instead of keeping a replay thread busy for minutes.
    #[test]
    fn a_replay_past_its_deadline_is_given_up_with_the_reason() {
        let busy = shared::strategy::StrategyConfig::BackgroundSync { interval_ms: 100, delta: false };
        let run = Run { until_ms: 10_000, ..Run::empty(SimConfig { strategy: busy, ..SimConfig::default() }) };
        let settings = RoomSettings { max_replay: Duration::from_millis(1), ..RoomSettings::default() };
        let Err(why) = preloaded(run.clone(), String::new(), &settings) else { panic!("100 sync rounds in 1 ms") };
        assert!(why.contains("longer than 0.001 s"), "{why}");
        let rows =
            |at: Millis, seq| InputRow { seq, at_ms: at, command_json: r#"{"type":"like","args":"tokyo"}"#.into() };
        let stored = Stored { room: room_row(&run.config, None), base: None, inputs: vec![rows(10_000, 0)] };
        let Err(why) = restore(stored.clone(), &settings, Deadline::after(settings.max_replay)) else {
            panic!("100 sync rounds in 1 ms")
        };
        assert!(why.contains("longer than"), "{why}");
        // No deadline (the public room): it replays, however long.
        assert!(restore(stored, &settings, Deadline(None)).is_ok());
    }

    #[test]
    fn answers_get_their_share_of_the_room_and_no_more() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut budget = WorkBudget::new(0.25, ms(1_000), t0);
        // A full bucket: answers until a second of work is spent ...
        for _ in 0..10 {
            assert!(budget.allow(t0));
            budget.spend(ms(100));
        }
        assert!(!budget.allow(t0), "a second of answers at once, then no more");
        // ... refilled at a quarter of real time.
        assert!(budget.allow(t0 + ms(1)));
        // One long answer overdraws it; the debt is repaid first.
        budget.spend(ms(2_000));
        assert!(!budget.allow(t0 + ms(4_000)));
        assert!(budget.allow(t0 + ms(8_100)));
        // Idle for long: never more than the burst saved up.
        assert!(budget.allow(t0 + ms(3_600_000)));
        budget.spend(ms(1_001));
        assert!(!budget.allow(t0 + ms(3_600_000)));
        // Shares outside 0..=1 are clamped; none refills nothing.
        let mut none = WorkBudget::new(f64::NAN, ms(1), t0);
        assert!(none.allow(t0));
        none.spend(ms(2));
        assert!(!none.allow(t0 + ms(3_600_000)));
    }

    #[test]
    fn a_viewer_that_skipped_a_frame_gets_it_whole() {
        let published =
            Published { seq: 7, full: Utf8Bytes::from_static("full"), delta: Some(Utf8Bytes::from_static("delta")) };
        assert_eq!(published.for_viewer(Some(6)).as_str(), "delta", "follows on");
        assert_eq!(published.for_viewer(Some(5)).as_str(), "full", "skipped frame 6");
        assert_eq!(published.for_viewer(None).as_str(), "full", "first frame after the snapshot");
        let keyframe = Published { delta: None, ..published };
        assert_eq!(keyframe.for_viewer(Some(6)).as_str(), "full");
    }

    #[test]
    fn crowded_rooms_send_fewer_frames() {
        let base = Duration::from_millis(33);
        assert_eq!(frame_interval_for(base, 1), base);
        assert_eq!(frame_interval_for(base, 300), base);
        assert_eq!(frame_interval_for(base, 2_000), base * 2);
        assert_eq!(frame_interval_for(base, 5_000), Duration::from_millis(88));
        // 10 000 viewers, and a few hundred people liking, still get ten
        // frames a second, with room for a loop that wakes late.
        assert!(frame_interval_for(base, 10_201) <= Duration::from_millis(90));
        assert_eq!(frame_interval_for(base, 50_000), base * 6);
        // Never slower than ~5 frames a second: a like must still show promptly.
        assert!(frame_interval_for(base, usize::MAX) <= Duration::from_millis(200));
    }

    #[test]
    fn frames_keep_their_cadence_when_the_loop_wakes_late() {
        let t0 = Instant::now();
        let every = Duration::from_millis(100);
        let ms = Duration::from_millis;
        // The first frame counts from when it went out.
        assert_eq!(frame_sent_at(None, every, t0), t0);
        // Each later one is 3 ms late, but counts from when it was due: ten
        // frames take one second, not 1.03.
        let mut at = t0;
        for _ in 0..10 {
            at = frame_sent_at(Some(at), every, at + every + ms(3));
        }
        assert_eq!(at, t0 + ms(1_000));
        // A frame published early (a control, not the schedule) counts from now.
        assert_eq!(frame_sent_at(Some(t0), every, t0 + ms(40)), t0 + ms(40));
        // After a quiet spell, or when more than a whole frame late, the
        // schedule restarts from now instead of catching up in a burst.
        assert_eq!(frame_sent_at(Some(t0), every, t0 + ms(5_000)), t0 + ms(5_000));
        assert_eq!(frame_sent_at(Some(t0), every, t0 + ms(230)), t0 + ms(230));
    }
}
