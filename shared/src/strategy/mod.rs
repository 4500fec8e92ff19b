//! Replication strategies: *how* replicas tell each other about likes.
//!
//! The simulation ([`crate::sim`]) owns the clock, the network and the ground
//! truth; a strategy owns the replicas' state and decides what to send, to
//! whom and when. Everything a strategy may do to the world goes through the
//! [`Ctx`] it is handed: send a message, set a timer, acknowledge a like. So a
//! new replication pattern is one new type implementing [`Strategy`], plus a
//! variant in [`StrategyConfig`] to build it — the room, the network and the
//! server do not change.

mod push;

pub use push::EventPush;

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
}

/// The kind of a message, for display and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Like,
    State,
}

impl Message {
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Like { .. } => MessageKind::Like,
            Message::State(_) => MessageKind::State,
        }
    }

    /// What the message would cost on a real wire with a compact binary
    /// encoding: a 1-byte tag, 1 byte per region id, 8 bytes per number.
    /// Used to compare strategies' costs, not to encode anything.
    pub fn wire_bytes(&self) -> u32 {
        match self {
            Message::Like { .. } => 1 + 1 + 8,
            Message::State(c) => 1 + 8 * c.slots().len() as u32,
        }
    }
}

/// Timers a strategy can set on a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Time for this region's next anti-entropy (state exchange) round.
    AntiEntropy,
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
}

impl Ctx<'_> {
    /// The current simulated time.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// The room's time scale; strategies stretch their intervals by it so the
    /// whole simulation speeds up or slows down together.
    pub fn scaled(&self, ms: Millis) -> Millis {
        ((ms as f64) * self.time_scale).round().max(1.0) as Millis
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }

    /// Sends `msg` over the link `from -> to`.
    pub fn send(&mut self, from: RegionId, to: RegionId, msg: Message) {
        self.net.send(self.agenda, self.rng, self.now, from, to, msg);
    }

    /// Sends a copy of `msg` from `from` to every other region.
    pub fn broadcast(&mut self, from: RegionId, msg: &Message) {
        for to in RegionId::all().filter(|&to| to != from) {
            self.send(from, to, msg.clone());
        }
    }

    /// Fires `timer` at `region` after `after` simulated milliseconds.
    pub fn set_timer(&mut self, after: Millis, region: RegionId, timer: Timer) {
        self.agenda.push(self.now + after, Event::Timer { region, timer });
    }

    /// Tells the user at `region` that a like answered with
    /// [`Accepted::Later`] is now acknowledged.
    pub fn acknowledge(&mut self, region: RegionId) {
        self.acknowledged.push(region);
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
}

/// The strategies a room can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    EventPush,
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
                      gossips its whole counter to a random peer.",
                guarantee: "Every like is kept exactly once: an event carries its origin's sequence \
                            number, so a duplicate or a late, reordered copy changes nothing.",
                failure: "Readers far from the like see an old count until the event crosses the \
                          ocean; a lost event waits for the next gossip round to be repaired.",
            },
        }
    }
}

/// How to build a strategy, with its knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StrategyConfig {
    EventPush {
        /// Period of each region's anti-entropy round in (unscaled) simulated
        /// ms; `None` turns anti-entropy off.
        anti_entropy_ms: Option<Millis>,
    },
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig::EventPush { anti_entropy_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS) }
    }
}

impl StrategyConfig {
    pub fn kind(&self) -> StrategyKind {
        match self {
            StrategyConfig::EventPush { .. } => StrategyKind::EventPush,
        }
    }

    pub fn build(&self) -> Box<dyn Strategy> {
        match *self {
            StrategyConfig::EventPush { anti_entropy_ms } => Box::new(EventPush::new(anti_entropy_ms)),
        }
    }
}
