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

use crate::crdt::{Act, GCounter};
use crate::kernel::{Ctx, Dots, Message, Millis, Paths, Tally, Timer};
use crate::region::RegionId;
use serde::{Deserialize, Serialize};

/// Why a like was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Refusal {
    #[error("{0} cannot accept likes right now")]
    Unavailable(RegionId),
    #[error("a clap cannot be taken back: this room counts claps, not people's likes")]
    NotUndoable,
}

/// A strategy's answer to a like: accepted at once, or (for strategies that
/// must coordinate first) "pending", settled later through
/// [`Ctx::acknowledge`] or [`Ctx::refuse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Now,
    Later,
}

/// Work inside a strategy that can still change what a replica shows:
/// likes waiting on a queue, events a peer has not acknowledged, forwards
/// awaiting the leader's answer. While there is any, the room has not
/// settled and the verdict does not judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// How many likes (or messages) are waiting.
    pub count: u64,
    /// The whole sentence, count included: "2 likes on the queues, waiting
    /// for the 3 s batch in Virginia".
    pub what: String,
}

/// "1 like", "2 likes".
pub(crate) fn likes(n: u64) -> String {
    if n == 1 {
        "1 like".to_owned()
    } else {
        format!("{n} likes")
    }
}

/// The earliest moment, on a network with no loss and no jitter, at which
/// every live region could show what is known now — computed from the
/// strategy's own schedule, so it says *why* convergence takes the time it
/// takes. Measured convergence is never earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// When (simulated time).
    pub at: Millis,
    /// Time spent waiting for the strategy's schedule (the next sync round,
    /// the batch boundary) before anything could travel.
    pub wait_ms: Millis,
    /// Time on the wire along the shortest healthy paths.
    pub propagation_ms: Millis,
    /// The path that takes longest, in words: "Tokyo → São Paulo".
    pub path: String,
    /// The mechanism that carries it ("push", "sync round", ...).
    pub mechanism: String,
}

impl Reference {
    /// A reference that starts at `start`, waits `wait_ms`, then travels
    /// `propagation_ms` along `path`.
    pub fn new(start: Millis, wait_ms: Millis, propagation_ms: Millis, path: String, mechanism: &str) -> Reference {
        Reference {
            at: start + wait_ms + propagation_ms,
            wait_ms,
            propagation_ms,
            path,
            mechanism: mechanism.to_owned(),
        }
    }
}

/// "Tokyo → São Paulo".
pub(crate) fn path_text(a: RegionId, b: RegionId) -> String {
    if a == b {
        a.info().city.to_owned()
    } else {
        format!("{} → {}", a.info().city, b.info().city)
    }
}

/// What a timing reference may look at: the shortest paths over the
/// network as it is, which regions are up, and the current time.
pub struct RefCtx<'a> {
    pub now: Millis,
    pub paths: &'a Paths,
    pub crashed: &'a [bool],
}

impl RefCtx<'_> {
    pub fn live(&self, r: RegionId) -> bool {
        !self.crashed.get(r.index()).copied().unwrap_or(false)
    }

    /// The farthest live region from `from` by shortest path.
    pub fn farthest(&self, from: RegionId) -> Option<(Millis, RegionId)> {
        self.paths.farthest(from, |r| self.live(r))
    }

    pub fn dist(&self, a: RegionId, b: RegionId) -> Option<Millis> {
        self.paths.get(a, b)
    }
}

/// A way of replicating the like counter between regions.
///
/// Implementations must be deterministic given the `Ctx` they are handed: no
/// clocks, no threads, randomness only from `ctx.rng()`.
///
/// Adding a strategy touches exactly these places, and no others:
/// 1. a new file in this folder with a type implementing this trait;
/// 2. a variant in [`StrategyKind`] (with its [`StrategyKind::info`] text) and
///    one in [`StrategyConfig`] (with its knobs, `default_for` and `build`);
/// 3. the knob validation in `protocol::validate_strategy`;
/// 4. the frontend's knob editor, `frontend/src/strategy_picker.rs`.
///
/// The simulation, the verdict, the server and the compare table pick it up
/// from there.
pub trait Strategy: Send + std::fmt::Debug {
    fn kind(&self) -> StrategyKind;

    /// A copy of this strategy's whole state (a room is cloned to seek in
    /// its history or to fork it).
    fn clone_box(&self) -> Box<dyn Strategy>;

    /// Called once when the strategy starts: set the first timers.
    fn start(&mut self, ctx: &mut Ctx);

    /// A user at `region` clicked like: the region takes its next
    /// operation (a strategy numbers it; the data type gives it a meaning).
    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal>;

    /// A user at `region` did `act`: a clap, or a person's like or unlike.
    ///
    /// Strategies that keep each operation need not look inside: to them a
    /// like and an unlike are both "`region`'s next operation", replicated
    /// by number like a clap, and a replica's value is the data type's
    /// reading of the operations it holds (see [`crate::sim::likes`]). So the
    /// default is [`Strategy::like`]. Only a strategy that overwrites whole
    /// values (last writer wins) must know what it writes.
    fn act(&mut self, ctx: &mut Ctx, region: RegionId, act: Act) -> Result<Accepted, Refusal> {
        let _ = act;
        self.like(ctx, region)
    }

    /// Last writer wins, in a room of people's likes: the operations the
    /// register at `region` is made of — not an unbroken run per origin,
    /// since a write can overwrite operations between others. `None` for
    /// strategies whose replicas hold runs (their [`Strategy::tally`]).
    fn register_dots(&self, _region: RegionId) -> Option<&Dots> {
        None
    }

    /// A message from `from` reached `to`.
    fn deliver(&mut self, ctx: &mut Ctx, from: RegionId, to: RegionId, msg: Message);

    /// A timer set with [`Ctx::set_timer`] fired.
    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer);

    /// Which likes, per origin, the count a reader at `region` sees is made
    /// of. Its sum is what the reader sees.
    fn tally(&self, region: RegionId) -> Tally;

    /// What `region` holds, per origin, including likes it has taken but
    /// does not show yet (a queue's likes): what a switch to another
    /// strategy starts from. Usually the same as [`Strategy::tally`].
    fn holdings(&self, region: RegionId) -> Tally {
        self.tally(region)
    }

    /// How many of `origin`'s likes the strategy has numbered: the next like
    /// there is number `numbered + 1`. After a crash destroyed some, it
    /// resumes after the ones that survive.
    fn numbered(&self, origin: RegionId) -> u64;

    /// The like count a reader at `region` sees right now.
    fn read(&self, region: RegionId) -> u64 {
        self.tally(region).sum()
    }

    /// Whether a like at `region` would be taken right now, as far as the
    /// strategy itself knows (the UI greys the button otherwise). The
    /// simulation already refuses likes at a crashed region.
    fn available(&self, _region: RegionId, _now: Millis) -> bool {
        true
    }

    /// Whether `msg` from `from`, arriving at `to` now, would change anything there
    /// (a replica's state, or work the strategy still has pending). A
    /// message that would not is no reason to wait before judging.
    fn would_change(&self, from: RegionId, to: RegionId, msg: &Message) -> bool;

    /// Work that can still change a replica (see [`Pending`]).
    fn pending(&self) -> Vec<Pending> {
        Vec::new()
    }

    /// Whether replicas that disagree are brought together by some periodic
    /// mechanism (gossip, sync rounds, re-sends), once the network lets it.
    fn repairs(&self) -> bool;

    /// `region` crashed. With `durable` its state survives in its own log.
    /// Without, it keeps only what survives elsewhere: what other replicas
    /// hold and what the messages still in flight carry (`in_flight`, as
    /// `(sender, message)`). Pending timers of `region` are cancelled by the
    /// simulation, and messages on their way to it are lost.
    fn crash(&mut self, ctx: &mut Ctx, region: RegionId, durable: bool, in_flight: &[(RegionId, &Message)]);

    /// What `region` keeps across even a volatile crash, per origin: a
    /// database is durable by nature, whatever the room's durable switch
    /// says about the replicas' logs. Empty for most strategies.
    fn durable_state(&self, _region: RegionId) -> Tally {
        Tally::default()
    }

    /// `region` is back up: re-arm its timers.
    fn restart(&mut self, ctx: &mut Ctx, region: RegionId);

    /// Starts this (new) strategy from what the replicas of the previous one
    /// actually hold: `tallies[r]` for region `r`.
    fn seed(&mut self, tallies: &[Tally]);

    /// The room is leaving this strategy: settle every like still answered
    /// "pending" as acknowledged (it is in some replica's count) or refused.
    fn abandon(&mut self, _ctx: &mut Ctx) {}

    /// The timing reference of a like just taken at `origin` (see
    /// [`Reference`]); `None` when some live region cannot get it until the
    /// network heals.
    fn reference(&self, origin: RegionId, r: &RefCtx) -> Option<Reference>;

    /// Whether the reference of each like replaces the previous ones instead
    /// of adding to them (last writer wins: only the newest write matters).
    fn references_replace(&self) -> bool {
        false
    }

    /// When `region` next sends what it holds to a peer on its own (a gossip
    /// or sync round, a re-send, a heartbeat); used for the reference of a
    /// repair after a heal, a restart or a switch.
    fn next_send(&self, region: RegionId, now: Millis) -> Option<Millis>;

    /// Last writer wins only: how many of a region's own newest writes were
    /// overwritten by a write made *earlier* in real time, which only a
    /// clock running ahead makes possible.
    fn skew_overwrites(&self) -> u64 {
        0
    }

    /// Whether `x` holds something that `r` will take from it (a repair
    /// can flow from `x` to `r`): by default, more of some origin's likes.
    fn can_teach(&self, x: RegionId, r: RegionId) -> bool {
        let (tx, tr) = (self.tally(x), self.tally(r));
        RegionId::all().any(|o| tx.get(o) > tr.get(o))
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

    /// Whether every like keeps its own place in the count (a like can be
    /// late, never overwritten): then "visible everywhere after" is defined
    /// per like. False for last writer wins.
    fn keeps_each_like(&self) -> bool {
        true
    }
}

impl Clone for Box<dyn Strategy> {
    fn clone(&self) -> Self {
        self.clone_box()
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

/// The grow-only-counter replicas a new strategy starts from: each region
/// what it held, and its own slot raised to every one of its likes any
/// replica holds — or a new like would reuse a number and vanish into the
/// merge.
pub(crate) fn seeded_counters(tallies: &[Tally]) -> Vec<GCounter> {
    RegionId::all()
        .map(|r| {
            let mut counter = GCounter::from_slots(tallies[r.index()].slots().iter().copied());
            counter.observe(r, tallies.iter().map(|t| t.get(r)).max().unwrap_or(0));
            counter
        })
        .collect()
}

/// A grow-only-counter replica after a volatile crash (see [`survivors`]).
pub(crate) fn crashed_counter(replicas: &[GCounter], region: RegionId, in_flight: &[(RegionId, &Message)]) -> GCounter {
    let tally = |r: RegionId| Tally::from_slots(replicas[r.index()].slots());
    let others = RegionId::all().filter(|&r| r != region).map(tally);
    GCounter::from_slots(survivors(tally(region), others, in_flight).slots().iter().copied())
}

/// What a crashed replica that held `own` keeps without a log: of what it
/// held, what survives elsewhere — in the other replicas, or in messages
/// still in flight — as if its peers handed that back on restart. Whatever
/// only it held is gone; it gains nothing it did not have (it relearns the
/// rest through the strategy's own repair, like any replica that is behind).
pub(crate) fn survivors(own: Tally, others: impl Iterator<Item = Tally>, in_flight: &[(RegionId, &Message)]) -> Tally {
    let carried = in_flight.iter().fold(Tally::default(), |acc, (_, m)| acc.max(&m.carries()));
    own.min(&others.fold(carried, |acc, t| acc.max(&t)))
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
                          de-duplication off and every extra copy counts: a duplicated message, a \
                          retry whose ack was lost, or an event that arrives after gossip already \
                          brought its like makes the count climb above the truth.",
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
                how: "Each region keeps the total stamped with its own clock; a like increments the local \
                      total and broadcasts it, and a region overwrites its total with any newer stamp it \
                      receives. The regions' clocks disagree by up to the skew.",
                guarantee: "Regions converge: they all end on the total with the latest stamp.",
                failure: "Two likes at about the same time in two regions both produce 'old + 1'; one \
                          overwrites the other and a like is silently lost. A clock that runs ahead makes \
                          it worse: its old write beats a newer one. It converges to a wrong number.",
            },
            StrategyKind::SingleWriter => StrategyInfo {
                kind: self,
                name: "Single writer (leader)",
                how: "Every like is forwarded to one leader region, which applies it, answers, and \
                      broadcasts the new count; followers show the leader's last count they heard, so \
                      they lag behind it. A follower that hears nothing from the leader for the \
                      timeout suspects it is down.",
                guarantee: "The leader's count is the one that decides: a like is acknowledged only \
                            once the leader holds it, and re-sent forwards carry the same ids, so \
                            nothing is lost or double counted.",
                failure: "A like costs a round trip to the leader and stays in doubt until the answer \
                          comes back; a follower that suspects the leader — rightly during a partition, \
                          wrongly when the leader is only slow — refuses likes.",
            },
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_skew() -> Millis {
    LastWriterWins::DEFAULT_SKEW_MS
}

fn default_timeout() -> Millis {
    SingleWriter::DEFAULT_TIMEOUT_MS
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
        /// How far the regions' clocks disagree: the clocks are spread over
        /// `-skew_ms ..= +skew_ms` (see [`LastWriterWins::clock_offset`]).
        #[serde(default = "default_skew")]
        skew_ms: Millis,
    },
    SingleWriter {
        leader: RegionId,
        /// A follower that has heard nothing from the leader for this long
        /// suspects it is down and refuses new likes.
        #[serde(default = "default_timeout")]
        timeout_ms: Millis,
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
            StrategyKind::LastWriterWins => StrategyConfig::LastWriterWins {
                resend_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS),
                skew_ms: LastWriterWins::DEFAULT_SKEW_MS,
            },
            StrategyKind::SingleWriter => StrategyConfig::SingleWriter {
                leader: default_central_region(),
                timeout_ms: SingleWriter::DEFAULT_TIMEOUT_MS,
            },
        }
    }

    pub fn build(&self) -> Box<dyn Strategy> {
        match *self {
            StrategyConfig::EventPush { anti_entropy_ms, retry_ms, dedupe } => {
                Box::new(EventPush::with_options(anti_entropy_ms, retry_ms, dedupe))
            }
            StrategyConfig::BackgroundSync { interval_ms, delta } => Box::new(BackgroundSync::new(interval_ms, delta)),
            StrategyConfig::QueueBatch { batch_ms, writer } => Box::new(QueueBatch::new(batch_ms, writer)),
            StrategyConfig::LastWriterWins { resend_ms, skew_ms } => Box::new(LastWriterWins::new(resend_ms, skew_ms)),
            StrategyConfig::SingleWriter { leader, timeout_ms } => Box::new(SingleWriter::new(leader, timeout_ms)),
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
