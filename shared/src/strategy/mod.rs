//! Replication strategies: *how* replicas tell each other about likes.
//!
//! The simulation ([`crate::sim`]) owns the clock, the network and the ground
//! truth; a strategy owns the replicas' state and decides what to send, to
//! whom and when. Everything a strategy may do to the world goes through the
//! [`Ctx`] it is handed: send a message, set a timer, acknowledge a like. So a
//! new replication pattern is one new type implementing [`Strategy`], plus a
//! variant in [`StrategyConfig`] to build it — the room, the network and the
//! server do not change.
//!
//! The catalog, from most to least available:
//! - [`EventPush`] — push each like at once, gossip states to repair losses,
//!   optionally retry until acknowledged (at-least-once + idempotent apply);
//! - [`BackgroundSync`] — no push, periodic state (or delta) sync only;
//! - [`QueueBatch`] — queue locally, a central batch job writes one database,
//!   regions read a published read model;
//! - [`LastWriterWins`] — replicate the total with a timestamp (loses likes);
//! - [`SingleWriter`] — one leader applies every like (unavailable when cut off).
//!
//! Faults reach strategies through three hooks: [`Strategy::available`]
//! (may a region take a like now), [`Strategy::crash`] and
//! [`Strategy::restart`]. A runtime switch builds a fresh strategy and calls
//! [`Strategy::seed`] with the ground truth.

mod lww;
mod push;
mod queue;
mod single;
mod sync;

pub use lww::LastWriterWins;
pub use push::EventPush;
pub use queue::QueueBatch;
pub use single::SingleWriter;
pub use sync::BackgroundSync;

use crate::crdt::GCounter;
use crate::region::RegionId;
use crate::sim::agenda::{Agenda, Event};
use crate::sim::network::Network;
use crate::sim::Millis;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A message between replicas. Each strategy uses the variants it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Operation-based: "this is like number `seq` accepted at `origin`".
    Like { origin: RegionId, seq: u64 },
    /// State-based: a replica's whole counter, for anti-entropy.
    State(GCounter),
    /// "I have applied like `seq` from `origin`" (at-least-once push).
    Ack { origin: RegionId, seq: u64 },
    /// Delta-state: only the slots the receiver is believed to lack.
    Delta(Vec<(RegionId, u64)>),
    /// A region's queue ships "my likes 1..=upto" to the batch writer.
    Drain { origin: RegionId, upto: u64 },
    /// Last writer wins: a whole total stamped with (time, origin).
    Total { total: u64, ts: Millis, origin: RegionId },
    /// Single writer: a follower forwards its like number `id` to the leader.
    Forward { origin: RegionId, id: u64 },
    /// Single writer: the leader applied forwarded like `id`; the count is now `value`.
    Applied { id: u64, value: u64 },
    /// Single writer: the leader's current count.
    Value(u64),
}

/// The kind of a message, for display and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Like,
    State,
}

impl Message {
    /// The coarse kind shown by viewers: small per-like events are `Like`,
    /// anything carrying a whole or partial count is `State`.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Like { .. }
            | Message::Ack { .. }
            | Message::Drain { .. }
            | Message::Forward { .. }
            | Message::Applied { .. } => MessageKind::Like,
            Message::State(_) | Message::Delta(_) | Message::Total { .. } | Message::Value(_) => MessageKind::State,
        }
    }

    /// A finer, human-readable name of the message.
    pub fn label(&self) -> &'static str {
        match self {
            Message::Like { .. } => "like",
            Message::State(_) => "state",
            Message::Ack { .. } => "ack",
            Message::Delta(_) => "delta",
            Message::Drain { .. } => "drain",
            Message::Total { .. } => "total",
            Message::Forward { .. } => "forward",
            Message::Applied { .. } => "applied",
            Message::Value(_) => "value",
        }
    }

    /// What the message would cost on a real wire with a compact binary
    /// encoding: a 1-byte tag, 1 byte per region id, 8 bytes per number.
    /// Used to compare strategies' costs, not to encode anything.
    pub fn wire_bytes(&self) -> u32 {
        match self {
            Message::Like { .. } => 1 + 1 + 8,
            Message::State(c) => 1 + 8 * c.slots().len() as u32,
            Message::Ack { .. } => 1 + 1 + 8,
            Message::Delta(d) => 1 + 1 + 9 * d.len() as u32,
            Message::Drain { .. } => 1 + 1 + 8,
            Message::Total { .. } => 1 + 8 + 8 + 1,
            Message::Forward { .. } => 1 + 1 + 8,
            Message::Applied { .. } => 1 + 8 + 8,
            Message::Value(_) => 1 + 8,
        }
    }
}

/// Timers a strategy can set on a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Time for this region's next anti-entropy (state exchange) round.
    AntiEntropy,
    /// Time to re-send events peers have not acknowledged.
    Retry,
    /// Time for a background state sync round.
    Sync,
    /// A batch boundary (queue + batch writer).
    Batch,
}

/// Why a like was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Refusal {
    #[error("{0} cannot accept likes right now")]
    Unavailable(RegionId),
}

/// A strategy's answer to a like: accepted at once, or (for strategies that
/// must coordinate first) accepted later through [`Ctx::acknowledge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Now,
    Later,
}

/// The strategy's window on the world for one step.
pub struct Ctx<'a> {
    pub(crate) now: Millis,
    pub(crate) time_scale: f64,
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) net: &'a mut Network,
    pub(crate) agenda: &'a mut Agenda,
    pub(crate) acknowledged: &'a mut Vec<RegionId>,
    pub(crate) crashed: &'a [bool],
    pub(crate) epochs: &'a [u32],
}

impl Ctx<'_> {
    /// The current simulated time.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// The room's time scale; strategies stretch their intervals by it so the
    /// whole simulation speeds up or slows down together.
    pub fn scaled(&self, ms: Millis) -> Millis {
        scale(ms, self.time_scale)
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }

    /// Sends `msg` over the link `from -> to`. Returns whether the message
    /// actually left on the wire (the link was not cut and the network did
    /// not lose it); strategies use it to know what they have *shipped*.
    pub fn send(&mut self, from: RegionId, to: RegionId, msg: Message) -> bool {
        self.net.send(self.agenda, self.rng, self.now, from, to, msg)
    }

    /// Sends a copy of `msg` from `from` to every other region. Returns
    /// whether at least one copy left on the wire.
    pub fn broadcast(&mut self, from: RegionId, msg: &Message) -> bool {
        let mut any = false;
        for to in RegionId::all().filter(|&to| to != from) {
            any |= self.send(from, to, msg.clone());
        }
        any
    }

    /// Fires `timer` at `region` after `after` simulated milliseconds. A
    /// crash of `region` cancels its pending timers.
    pub fn set_timer(&mut self, after: Millis, region: RegionId, timer: Timer) {
        let epoch = self.epochs.get(region.index()).copied().unwrap_or(0);
        self.agenda.push(self.now + after, Event::Timer { region, timer, epoch });
    }

    /// Whether `a` and `b` can talk right now: both up, link not cut either way.
    pub fn reachable(&self, a: RegionId, b: RegionId) -> bool {
        Reach { net: self.net, crashed: self.crashed }.up(a, b)
    }

    /// Tells the user at `region` that a like answered with
    /// [`Accepted::Later`] is now acknowledged.
    pub fn acknowledge(&mut self, region: RegionId) {
        self.acknowledged.push(region);
    }
}

/// What a strategy may know about faults when asked whether a region can
/// take likes: which links are cut and which regions are down.
pub struct Reach<'a> {
    pub(crate) net: &'a Network,
    pub(crate) crashed: &'a [bool],
}

impl Reach<'_> {
    /// Whether `region` is down.
    pub fn crashed(&self, region: RegionId) -> bool {
        self.crashed.get(region.index()).copied().unwrap_or(false)
    }

    /// Both regions up and the link between them not cut in either
    /// direction (a region always reaches itself while it is up).
    pub fn up(&self, a: RegionId, b: RegionId) -> bool {
        if self.crashed(a) || self.crashed(b) {
            return false;
        }
        a == b || (!self.net.link(a, b).cut && !self.net.link(b, a).cut)
    }
}

/// A strategy interval stretched by the room's time scale (never zero: a
/// zero-period timer would fire forever at one instant).
fn scale(ms: Millis, time_scale: f64) -> Millis {
    ((ms as f64) * time_scale).round().max(1.0) as Millis
}

/// When `region`'s first round of a periodic job with this `period` fires:
/// the regions' first rounds are spread evenly over one period, so they do
/// not all send at the same instant (and keep that offset afterwards).
pub(crate) fn staggered(period: Millis, region: RegionId) -> Millis {
    period * (region.index() as Millis + 1) / RegionId::COUNT as Millis
}

/// Inputs for a strategy's theoretical lower bound on convergence time.
pub struct BoundCtx<'a> {
    /// The room's time scale (strategy intervals are stretched by it).
    pub time_scale: f64,
    /// Shortest delivery delay from `a` to `b` over healthy links, `None`
    /// when `b` cannot be reached from `a` at all.
    pub dist: &'a dyn Fn(RegionId, RegionId) -> Option<Millis>,
}

impl BoundCtx<'_> {
    /// The same stretch as [`Ctx::scaled`], so a bound counts the intervals
    /// the strategy really waits.
    pub fn scaled(&self, ms: Millis) -> Millis {
        scale(ms, self.time_scale)
    }

    /// The farthest region from `from`, by shortest path.
    pub fn farthest(&self, from: RegionId) -> Option<Millis> {
        RegionId::all().map(|r| (self.dist)(from, r)).try_fold(0, |acc, d| d.map(|d| acc.max(d)))
    }
}

/// A way of replicating the like counter between regions.
///
/// Implementations must be deterministic given the `Ctx` they are handed: no
/// clocks, no threads, randomness only from `ctx.rng()`.
pub trait Strategy: Send + std::fmt::Debug {
    fn kind(&self) -> StrategyKind;

    /// Called once when the simulation starts: set the first timers.
    fn start(&mut self, ctx: &mut Ctx);

    /// A user at `region` clicked like.
    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal>;

    /// A message from `from` reached `to`.
    fn deliver(&mut self, ctx: &mut Ctx, from: RegionId, to: RegionId, msg: Message);

    /// A timer set with [`Ctx::set_timer`] fired.
    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer);

    /// The like count a reader at `region` sees right now.
    fn read(&self, region: RegionId) -> u64;

    /// Whether a like at `region` could be accepted right now (the UI greys
    /// the button otherwise). The simulation already refuses likes at a
    /// crashed region; this is for strategies that need to coordinate.
    fn available(&self, _region: RegionId, _reach: &Reach) -> bool {
        true
    }

    /// `region` crashed. With `durable` its state survives in its own log;
    /// without, whatever it had not yet shipped to anyone is gone. Returns
    /// how many *acknowledged* likes the crash destroyed for good. Pending
    /// timers of `region` are cancelled by the simulation.
    fn crash(&mut self, _region: RegionId, _durable: bool) -> u64 {
        0
    }

    /// `region` is back up: re-arm its timers.
    fn restart(&mut self, _ctx: &mut Ctx, _region: RegionId) {}

    /// Replaces the replicas' state by the ground truth (`per_region[r]` =
    /// likes acknowledged at `r`), used when a room switches strategy.
    fn seed(&mut self, _per_region: &[u64]) {}

    /// The least time, after a like at `origin`, before every region can
    /// show it under this strategy; `None` when some region cannot get it.
    fn convergence_bound(&self, origin: RegionId, b: &BoundCtx) -> Option<Millis> {
        b.farthest(origin)
    }

    /// Bytes a delta-based strategy saved against sending full states.
    fn bytes_saved(&self) -> u64 {
        0
    }

    /// Named counts inside the strategy's pipeline that a viewer should see
    /// side by side — e.g. "on the queue" against "in the database" — because
    /// the gap between them *is* the strategy's guarantee. Empty for
    /// strategies whose only state is the replicas' counts.
    fn stages(&self) -> Vec<Stage> {
        Vec::new()
    }
}

/// One named count in a strategy's pipeline (see [`Strategy::stages`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// "On the queue", "In the database", ...
    pub label: String,
    pub count: u64,
    /// What reaching this stage means, in a few words.
    pub note: String,
}

/// Likes `region` acknowledged but had not shipped, lost by a volatile crash,
/// for the grow-only-counter strategies: the replica restarts knowing only
/// its own shipped likes (modelled as peers handing back what they hold of
/// its slot) and relearns the other slots from sync.
pub(crate) fn crash_gcounter(replica: &mut GCounter, region: RegionId, shipped: u64, durable: bool) -> u64 {
    if durable {
        return 0;
    }
    let own = replica.get(region);
    let mut fresh = GCounter::new();
    fresh.observe(region, shipped.min(own));
    *replica = fresh;
    own.saturating_sub(shipped)
}

/// The strategies a room can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    EventPush,
    BackgroundSync,
    QueueBatch,
    LastWriterWins,
    SingleWriter,
}

impl StrategyKind {
    /// Every strategy, in the order the UI lists them.
    pub const ALL: [StrategyKind; 5] = [
        StrategyKind::EventPush,
        StrategyKind::BackgroundSync,
        StrategyKind::QueueBatch,
        StrategyKind::LastWriterWins,
        StrategyKind::SingleWriter,
    ];
}

/// Text the UI shows about a strategy; kept beside the code it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StrategyInfo {
    pub kind: StrategyKind,
    pub name: &'static str,
    /// How it works, in a sentence.
    pub how: &'static str,
    /// What it promises.
    pub guarantee: &'static str,
    /// How it goes wrong.
    pub failure: &'static str,
}

impl StrategyKind {
    pub fn info(self) -> StrategyInfo {
        match self {
            StrategyKind::EventPush => StrategyInfo {
                kind: self,
                name: "Event push + anti-entropy",
                how: "The region that takes a like bumps its own slot of a grow-only counter and \
                      immediately sends the event to every peer; every few seconds each region also \
                      gossips its whole counter to a random peer. Optionally, events a peer has not \
                      acknowledged are re-sent until it does (at-least-once delivery).",
                guarantee: "Every like is kept exactly once: an event carries its origin's sequence \
                            number, so a duplicate or a late, reordered copy changes nothing.",
                failure: "Readers far from the like see an old count until the event crosses the \
                          ocean; a lost event waits for a retry or the next gossip round. Turn \
                          de-duplication off and a network that duplicates messages makes the count \
                          climb above the truth.",
            },
            StrategyKind::BackgroundSync => StrategyInfo {
                kind: self,
                name: "Background sync (anti-entropy only)",
                how: "Nothing is pushed: every interval each region sends its whole grow-only counter \
                      (or only the slots the peer is believed to lack) to every peer, which merges it.",
                guarantee: "Losses, duplicates and reordering cannot hurt: merging states is idempotent, \
                            so the next round repairs whatever the last one missed.",
                failure: "Slow: a like waits for the next round before it travels at all, and full \
                          states cost bytes even when nothing changed.",
            },
            StrategyKind::QueueBatch => StrategyInfo {
                kind: self,
                name: "Queue + batch writer (read model)",
                how: "A like is acknowledged once it is on its region's queue; every batch interval a \
                      central job drains all queues into one database and publishes the total to every \
                      region's read model.",
                guarantee: "One writer, so no conflicts: every region ends on exactly the database's \
                            count, and each queued like is written once.",
                failure: "Counts only move at batch boundaries, everybody waits for the batch, and the \
                          writer region is a bottleneck: when it is down nothing moves.",
            },
            StrategyKind::LastWriterWins => StrategyInfo {
                kind: self,
                name: "Last writer wins (on the total)",
                how: "Each region keeps the total with a timestamp; a like increments the local total and \
                      broadcasts it, and a region overwrites its total with any newer one it receives.",
                guarantee: "Regions converge: they all end on the total with the latest timestamp.",
                failure: "Two likes at about the same time in two regions both produce 'old + 1'; one \
                          overwrites the other and a like is silently lost: it converges to a wrong number.",
            },
            StrategyKind::SingleWriter => StrategyInfo {
                kind: self,
                name: "Single writer (leader)",
                how: "Every like is forwarded to one leader region, which applies it, answers, and \
                      broadcasts the new count; followers show the leader's last count.",
                guarantee: "No region ever shows more than the leader, and the leader's count is the \
                            truth: nothing is lost or double counted.",
                failure: "A like costs a round trip to the leader, and a region that cannot reach the \
                          leader cannot take likes at all (it is unavailable during a partition).",
            },
        }
    }
}

fn default_true() -> bool {
    true
}

/// How to build a strategy, with its knobs. New knobs carry serde defaults
/// so older JSON (`{"kind":"event_push","anti_entropy_ms":4000}`) still parses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StrategyConfig {
    EventPush {
        /// Period of each region's anti-entropy round in (unscaled) simulated
        /// ms; `None` turns anti-entropy off.
        anti_entropy_ms: Option<Millis>,
        /// Re-send unacknowledged events to each peer this often; `None`
        /// (the default) sends each event once and expects no ack.
        #[serde(default)]
        retry_ms: Option<Millis>,
        /// Apply each event as "origin has at least `seq` likes" (exactly
        /// once). When false every arriving event adds one.
        #[serde(default = "default_true")]
        dedupe: bool,
    },
    BackgroundSync {
        /// Period of the sync rounds, clamped to 100 ms ..= 60 s.
        interval_ms: Millis,
        /// Send only the slots the peer is believed to lack.
        #[serde(default)]
        delta: bool,
    },
    QueueBatch {
        /// Period of the batch job, clamped to 100 ms ..= 60 s.
        batch_ms: Millis,
        /// Where the batch job and the database live.
        writer: RegionId,
    },
    LastWriterWins {
        /// Each region re-sends its current total to a random peer this
        /// often, repairing lost broadcasts; `None` turns it off.
        resend_ms: Option<Millis>,
    },
    SingleWriter {
        leader: RegionId,
    },
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig::EventPush {
            anti_entropy_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS),
            retry_ms: None,
            dedupe: true,
        }
    }
}

/// The region a central component lives in by default.
pub fn default_central_region() -> RegionId {
    RegionId::parse("virginia").unwrap_or(RegionId::from_index(0).expect("catalog is not empty"))
}

impl StrategyConfig {
    pub fn kind(&self) -> StrategyKind {
        match self {
            StrategyConfig::EventPush { .. } => StrategyKind::EventPush,
            StrategyConfig::BackgroundSync { .. } => StrategyKind::BackgroundSync,
            StrategyConfig::QueueBatch { .. } => StrategyKind::QueueBatch,
            StrategyConfig::LastWriterWins { .. } => StrategyKind::LastWriterWins,
            StrategyConfig::SingleWriter { .. } => StrategyKind::SingleWriter,
        }
    }

    /// The default knobs of a strategy kind.
    pub fn default_for(kind: StrategyKind) -> StrategyConfig {
        match kind {
            StrategyKind::EventPush => StrategyConfig::default(),
            StrategyKind::BackgroundSync => {
                StrategyConfig::BackgroundSync { interval_ms: BackgroundSync::DEFAULT_INTERVAL_MS, delta: false }
            }
            StrategyKind::QueueBatch => {
                StrategyConfig::QueueBatch { batch_ms: QueueBatch::DEFAULT_BATCH_MS, writer: default_central_region() }
            }
            StrategyKind::LastWriterWins => {
                StrategyConfig::LastWriterWins { resend_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS) }
            }
            StrategyKind::SingleWriter => StrategyConfig::SingleWriter { leader: default_central_region() },
        }
    }

    pub fn build(&self) -> Box<dyn Strategy> {
        match *self {
            StrategyConfig::EventPush { anti_entropy_ms, retry_ms, dedupe } => {
                Box::new(EventPush::with_options(anti_entropy_ms, retry_ms, dedupe))
            }
            StrategyConfig::BackgroundSync { interval_ms, delta } => Box::new(BackgroundSync::new(interval_ms, delta)),
            StrategyConfig::QueueBatch { batch_ms, writer } => Box::new(QueueBatch::new(batch_ms, writer)),
            StrategyConfig::LastWriterWins { resend_ms } => Box::new(LastWriterWins::new(resend_ms)),
            StrategyConfig::SingleWriter { leader } => Box::new(SingleWriter::new(leader)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_event_push_json_still_parses() {
        let c: StrategyConfig = serde_json::from_str(r#"{"kind":"event_push","anti_entropy_ms":4000}"#).unwrap();
        assert_eq!(c, StrategyConfig::default());
    }

    #[test]
    fn every_kind_has_a_default_config_and_info() {
        for kind in StrategyKind::ALL {
            assert_eq!(StrategyConfig::default_for(kind).kind(), kind);
            assert_eq!(StrategyConfig::default_for(kind).build().kind(), kind);
            assert!(!kind.info().name.is_empty());
        }
    }
}
