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
//! 3. publishes frames. A frame is serialized **once** and put in a
//!    `tokio::sync::watch` channel that every viewer's writer task reads. A
//!    watch keeps only the latest value, so a slow viewer simply skips frames
//!    — it can never make the room, or anyone else, wait. Frames are
//!    coalesced to at most one per `frame_interval` (~30 per second), however
//!    many likes arrive. A crowded room slows its frame rate (see
//!    [`frame_interval_for`]): the server's outgoing bytes grow with viewers ×
//!    frame rate, and the browser animates between frames anyway.

use axum::extract::ws::Utf8Bytes;
use shared::protocol::{
    Control, ErrorCode, Frame, ProtocolError, RegionInfo, RoomId, ServerMessage, Snapshot, StrategyDescription,
    PROTOCOL_VERSION,
};
use shared::region::RegionId;
use shared::sim::{SimConfig, Simulation};
use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::rooms::Rooms;

/// Identifies one connection inside a room.
pub type ViewerId = u64;

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
    /// 10 000 a room already sends its slowest frame rate, so each further
    /// viewer costs the whole server bytes without limit.
    pub max_viewers: usize,
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
        }
    }
}

/// The time between frames for a room with `viewers` people: the base
/// interval (~30 frames a second) up to 300 viewers, then stretched so that
/// the bytes a room sends per second stop growing linearly with its
/// audience — ~15 frames a second up to 3 000 viewers, ~7 up to 10 000,
/// ~5 beyond.
/// A like still shows in its own region within one (longer) frame.
pub fn frame_interval_for(base: Duration, viewers: usize) -> Duration {
    let factor = match viewers {
        0..=300 => 1,
        301..=3_000 => 2,
        3_001..=10_000 => 4,
        _ => 6,
    };
    base * factor
}

/// What a room's task accepts.
#[derive(Debug)]
pub enum RoomCommand {
    Join { reply: oneshot::Sender<Result<Joined, RoomFull>> },
    Leave { viewer: ViewerId },
    Like { viewer: ViewerId, region: RegionId },
    Control { viewer: ViewerId, control: Control },
}

/// A viewer's way into a room, handed out on join.
#[derive(Debug)]
pub struct Joined {
    pub viewer: ViewerId,
    /// The snapshot to send first, already serialized.
    pub snapshot: Utf8Bytes,
    /// The latest frame, already serialized; `changed()` wakes on new ones.
    pub frames: watch::Receiver<Utf8Bytes>,
    /// Messages for this viewer only (errors about its own commands).
    pub direct: mpsc::Receiver<Utf8Bytes>,
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

    /// Queues a control (strategy, fault) without waiting.
    pub fn control(&self, viewer: ViewerId, control: Control) -> Result<(), ProtocolError> {
        self.enqueue(RoomCommand::Control { viewer, control }, "the change was not applied")
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

/// Starts a room's task and returns its handle.
pub fn spawn(id: RoomId, generation: u64, settings: RoomSettings, registry: Weak<Rooms>) -> RoomHandle {
    let (tx, rx) = mpsc::channel(settings.command_capacity);
    let handle = RoomHandle { tx };
    let room = Room::new(id, settings, handle.clone());
    tokio::spawn(async move {
        let id = room.id.clone();
        room.run(rx).await;
        if let Some(rooms) = registry.upgrade() {
            rooms.remove(&id, generation);
        }
        tracing::info!(room = %id, "room closed");
    });
    handle
}

struct Room {
    id: RoomId,
    settings: RoomSettings,
    sim: Simulation,
    started: Instant,
    /// A handle to ourselves, for the membership guards we hand out.
    me: RoomHandle,
    /// Each viewer's channel for messages addressed to it alone.
    viewers: HashMap<ViewerId, mpsc::Sender<Utf8Bytes>>,
    next_viewer: ViewerId,
    frames: watch::Sender<Utf8Bytes>,
    frame_seq: u64,
    /// What the last published frame showed, to skip identical frames.
    published: Option<(u64, usize)>,
    last_publish: Option<Instant>,
    idle_since: Option<Instant>,
}

impl Room {
    fn new(id: RoomId, settings: RoomSettings, me: RoomHandle) -> Room {
        let config = SimConfig { seed: rand::random(), time_scale: settings.time_scale, ..SimConfig::default() };
        let sim = Simulation::new(config);
        let (frames, _) = watch::channel(Utf8Bytes::from_static(""));
        let now = Instant::now();
        let mut room = Room {
            id,
            settings,
            sim,
            started: now,
            me,
            viewers: HashMap::new(),
            next_viewer: 1,
            frames,
            frame_seq: 0,
            published: None,
            last_publish: None,
            idle_since: Some(now),
        };
        room.publish(now);
        room
    }

    async fn run(mut self, mut rx: mpsc::Receiver<RoomCommand>) {
        tracing::info!(room = %self.id, "room opened");
        loop {
            let wake = self.next_wake();
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.handle(cmd),
                    None => return,
                },
                _ = tokio::time::sleep_until(wake) => {}
            }
            let now = Instant::now();
            self.sim.advance(self.sim_time(now));
            if self.is_dirty() && self.frame_due(now) <= now {
                self.publish(now);
            }
            if let Some(idle) = self.idle_since {
                if now.duration_since(idle) >= self.settings.idle_ttl {
                    // Refuse new commands first, then drain what already
                    // queued (joins racing with expiry get a closed reply and
                    // the registry starts a fresh room for them).
                    rx.close();
                    return;
                }
            }
        }
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
                self.viewers.insert(viewer, direct_tx);
                self.idle_since = None;
                // The joiner's snapshot already counts them.
                self.sim.advance(self.sim_time(now));
                let snapshot = self.snapshot();
                let joined = Joined {
                    viewer,
                    snapshot,
                    frames: self.frames.subscribe(),
                    direct,
                    membership: Membership { viewer, room: self.me.clone() },
                };
                if reply.send(Ok(joined)).is_err() {
                    // The joiner gave up; its Membership guard (dropped with
                    // the unsent reply) queues a Leave for it.
                }
                tracing::debug!(room = %self.id, viewer, viewers = self.viewers.len(), "joined");
            }
            RoomCommand::Leave { viewer } => {
                self.viewers.remove(&viewer);
                if self.viewers.is_empty() {
                    self.idle_since = Some(now);
                }
                tracing::debug!(room = %self.id, viewer, viewers = self.viewers.len(), "left");
            }
            RoomCommand::Like { viewer, region } => {
                if let Err(refusal) = self.sim.like(region, self.sim_time(now)) {
                    let err = ProtocolError::new(ErrorCode::Refused, format!("{refusal}; this like was not counted"));
                    self.tell(viewer, ServerMessage::Error(err));
                }
            }
            RoomCommand::Control { viewer, control } => {
                // The public room is what a shared link lands on: anyone
                // could break it for everyone, so it only takes likes.
                if self.id.is_public() {
                    let err = ProtocolError::new(
                        ErrorCode::Locked,
                        "the public room only takes likes; press New room for a private room you can break",
                    );
                    self.tell(viewer, ServerMessage::Error(err));
                    return;
                }
                self.sim.advance(self.sim_time(now));
                tracing::debug!(room = %self.id, viewer, ?control, "control");
                self.sim.apply(control);
            }
        }
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

    fn sim_time(&self, now: Instant) -> u64 {
        now.duration_since(self.started).as_millis() as u64
    }

    fn is_dirty(&self) -> bool {
        self.published != Some((self.sim.version(), self.viewers.len()))
    }

    fn frame_due(&self, now: Instant) -> Instant {
        let interval = frame_interval_for(self.settings.frame_interval, self.viewers.len());
        self.last_publish.map_or(now, |t| t + interval)
    }

    /// When the loop must wake up next if no command arrives.
    fn next_wake(&self) -> Instant {
        let now = Instant::now();
        let mut wake = now + Duration::from_secs(3600);
        if let Some(at) = self.sim.next_event_at() {
            wake = wake.min(self.started + Duration::from_millis(at));
        }
        if self.is_dirty() {
            wake = wake.min(self.frame_due(now));
        }
        if let Some(idle) = self.idle_since {
            wake = wake.min(idle + self.settings.idle_ttl);
        }
        wake
    }

    fn frame(&mut self) -> Frame {
        Frame { seq: self.frame_seq, viewers: self.viewers.len() as u32, sim: self.sim.view() }
    }

    fn snapshot(&mut self) -> Utf8Bytes {
        let msg = ServerMessage::Snapshot(Snapshot {
            protocol: PROTOCOL_VERSION,
            room: self.id.to_string(),
            public: self.id.is_public(),
            regions: RegionInfo::catalog(),
            latency_ms: self.sim.latency().clone(),
            strategies: StrategyDescription::all(),
            frame: self.frame(),
        });
        Utf8Bytes::from(serde_json::to_string(&msg).unwrap_or_default())
    }

    fn publish(&mut self, now: Instant) {
        self.frame_seq += 1;
        let frame = ServerMessage::Frame(self.frame());
        match serde_json::to_string(&frame) {
            Ok(json) => {
                self.frames.send_replace(Utf8Bytes::from(json));
            }
            Err(e) => tracing::error!(room = %self.id, error = %e, "could not serialize a frame"),
        }
        self.published = Some((self.sim.version(), self.viewers.len()));
        self.last_publish = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crowded_rooms_send_fewer_frames() {
        let base = Duration::from_millis(33);
        assert_eq!(frame_interval_for(base, 1), base);
        assert_eq!(frame_interval_for(base, 300), base);
        assert_eq!(frame_interval_for(base, 2_000), base * 2);
        assert_eq!(frame_interval_for(base, 5_000), base * 4);
        assert_eq!(frame_interval_for(base, 50_000), base * 6);
        // Never slower than ~5 frames a second: a like must still show promptly.
        assert!(frame_interval_for(base, usize::MAX) <= Duration::from_millis(200));
    }
}
