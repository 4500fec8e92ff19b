//! The kernel: the few things both the simulation ([`crate::sim`]) and the
//! replication strategies ([`crate::strategy`]) are made of — simulated
//! time, the messages replicas exchange, timers, the network that carries
//! messages, and the [`Ctx`] through which a strategy acts on the world.
//!
//! It exists so that the dependency runs one way: `sim` drives strategies,
//! strategies act through the kernel, and neither has to reach into the
//! other's internals.

pub mod agenda;
pub mod ctx;
pub mod network;
mod tally;

pub use ctx::{Ctx, Outcome, Paths};
pub use tally::Tally;

use crate::crdt::{Dot, GCounter};
use crate::region::RegionId;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The operations a last-writer-wins register of a set is made of (shared,
/// so a broadcast copies a pointer, not the set).
pub type Dots = Arc<BTreeSet<Dot>>;
use serde::{Deserialize, Serialize};

/// Simulated time in milliseconds since the room started.
pub type Millis = u64;

/// A message between replicas. Each strategy uses the variants it needs.
///
/// Some variants carry a [`Tally`]: which likes, per origin, the value in
/// the message is made of. Real systems do not ship that for a plain total;
/// here it is the simulation's bookkeeping (it costs nothing in
/// [`Message::wire_bytes`]), so that the verdict can say exactly which
/// region's likes a last-writer-wins total or a leader's count dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Operation-based: `origin`'s operations `from..=seq`. A clap has no
    /// content beyond its number, so a clap event always says "`origin` has
    /// taken at least `seq` likes" (`from` is 1); a person's like or unlike
    /// carries only itself (`from == seq`), or, re-sent, every operation the
    /// peer has not acknowledged. See [`Ctx::ops_carry_history`].
    Like { origin: RegionId, seq: u64, from: u64 },
    /// State-based: a replica's whole counter, for anti-entropy.
    State(GCounter),
    /// "I hold `origin`'s likes up to `upto`": a cumulative acknowledgement
    /// (a high-water mark), so one ack covers every earlier like too.
    Ack { origin: RegionId, upto: u64 },
    /// Delta-state: only what the receiver is believed to lack, per origin
    /// `(origin, from, upto)`: its operations `from..=upto` (`from` is 1 for
    /// claps, whose slot value says it all).
    Delta(Vec<(RegionId, u64, u64)>),
    /// A region's queue ships "my likes 1..=upto" to the batch writer.
    Drain { origin: RegionId, upto: u64 },
    /// Last writer wins: a whole total stamped with (clock, origin). In a
    /// room of people's likes the register is a whole set instead: `dots`
    /// names the operations it is made of (empty for claps).
    Total { total: u64, ts: i64, origin: RegionId, tally: Tally, written_at: Millis, dots: Dots },
    /// Single writer: a follower forwards its likes `1..=upto` to the leader
    /// (cumulative, so a retry carries one number, not every pending like).
    Forward { origin: RegionId, upto: u64 },
    /// Single writer: the leader holds `origin`'s likes up to `upto`; its
    /// count is now `value`.
    Applied { origin: RegionId, upto: u64, value: u64, tally: Tally },
    /// Single writer: the leader's current count.
    Value { value: u64, tally: Tally },
}

/// The kind of a message, for display: per-like events apart from
/// messages that carry a whole or partial count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Like,
    State,
}

/// Why a message was sent: because of a like (the push, its ack, a
/// retry, a forward and the answer) or as background work that runs
/// whether or not anyone likes anything (gossip, sync rounds, heartbeats,
/// batch publications). The verdict prices the two apart: a like's own
/// traffic per like, background traffic per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Like,
    #[default]
    Background,
}

impl Message {
    /// The coarse kind shown by viewers.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Like { .. }
            | Message::Ack { .. }
            | Message::Drain { .. }
            | Message::Forward { .. }
            | Message::Applied { .. } => MessageKind::Like,
            Message::State(_) | Message::Delta(_) | Message::Total { .. } | Message::Value { .. } => MessageKind::State,
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
            Message::Value { .. } => "value",
        }
    }

    /// What the message would cost on a real wire with a compact binary
    /// encoding: a 1-byte tag, 1 byte per region id, 8 bytes per number.
    /// Used to compare strategies' costs, not to encode anything. (The
    /// simulation's bookkeeping tallies are not counted: a real system
    /// would not send them.)
    pub fn wire_bytes(&self) -> u32 {
        match self {
            Message::Like { .. } => 1 + 1 + 8,
            Message::State(c) => 1 + 8 * c.slots().len() as u32,
            Message::Ack { .. } => 1 + 1 + 8,
            Message::Delta(d) => 1 + 1 + 9 * d.len() as u32,
            Message::Drain { .. } => 1 + 1 + 8,
            Message::Total { .. } => 1 + 8 + 8 + 1,
            Message::Forward { .. } => 1 + 1 + 8,
            Message::Applied { .. } => 1 + 1 + 8 + 8,
            Message::Value { .. } => 1 + 8,
        }
    }

    /// What the message carries, per origin (see [`Message::knows`]).
    pub fn carries(&self) -> Tally {
        let mut t = Tally::default();
        for o in RegionId::all() {
            t.set(o, self.knows(o));
        }
        t
    }

    /// How many of `origin`'s likes this message carries knowledge of (for
    /// counter-shaped messages), used to decide what survives a crash.
    pub fn knows(&self, origin: RegionId) -> u64 {
        match self {
            // Only an unbroken run from the first operation counts: a run
            // that starts later extends nothing on its own.
            Message::Like { origin: o, seq, from } if *o == origin && *from <= 1 => *seq,
            Message::Drain { origin: o, upto } | Message::Forward { origin: o, upto } if *o == origin => *upto,
            Message::State(c) => c.get(origin),
            Message::Delta(d) => {
                d.iter().filter(|&&(o, from, _)| o == origin && from <= 1).map(|&(_, _, n)| n).max().unwrap_or(0)
            }
            Message::Total { tally, .. } | Message::Value { tally, .. } | Message::Applied { tally, .. } => {
                tally.get(origin)
            }
            _ => 0,
        }
    }
}

/// Timers a strategy can set on a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Time for this region's next anti-entropy (state exchange) round.
    AntiEntropy,
    /// Time to re-send what peers have not acknowledged.
    Retry,
    /// Time for a background state sync round.
    Sync,
    /// A batch boundary (queue + batch writer).
    Batch,
    /// Single writer: has the leader been heard from recently enough?
    Suspect,
}

/// A strategy interval stretched by the room's time scale (never zero: a
/// zero-period timer would fire forever at one instant).
pub fn scale(ms: Millis, time_scale: f64) -> Millis {
    ((ms as f64) * time_scale).round().max(1.0) as Millis
}

/// When `region`'s first round of a periodic job with this `period` fires,
/// counted from `start`: the regions' first rounds are spread evenly over
/// one period, so they do not all send at the same instant.
pub fn staggered(period: Millis, region: RegionId) -> Millis {
    period * (region.index() as Millis + 1) / RegionId::COUNT as Millis
}
