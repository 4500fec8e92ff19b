//! Event push with anti-entropy: the default way likes travel.
//!
//! Two mechanisms, each covering the other's weakness:
//!
//! 1. **Push** (operation-based). The region that takes a like increments its
//!    own slot of its [`GCounter`] and sends `Like { origin, seq }` to every
//!    peer right away. This is fast — a like reaches a peer after one link
//!    delay — but only as reliable as the network: a lost event is never
//!    re-sent.
//! 2. **Anti-entropy** (state-based). Every few seconds each region sends its
//!    whole counter to one random peer, which merges it. This is slow and
//!    costs more bytes, but it repairs anything the push missed, whatever the
//!    reason, because merging states needs no history.
//!
//! Exactly-once comes for free from the counter: an event "like #k from
//! Tokyo" is applied as "Tokyo has at least k likes" ([`GCounter::observe`]),
//! so a duplicate, or an event overtaken by a later one or by a gossip round,
//! changes nothing.

use super::{Accepted, Ctx, Message, Refusal, Strategy, StrategyKind, Timer};
use crate::crdt::GCounter;
use crate::region::RegionId;
use crate::sim::Millis;
use rand::Rng;

#[derive(Debug, Clone)]
pub struct EventPush {
    replicas: Vec<GCounter>,
    anti_entropy_ms: Option<Millis>,
}

impl EventPush {
    /// Each region gossips its state every 4 s (before time scaling): rare
    /// enough to stay cheap, frequent enough to repair a loss quickly.
    pub const DEFAULT_ANTI_ENTROPY_MS: Millis = 4_000;

    pub fn new(anti_entropy_ms: Option<Millis>) -> Self {
        EventPush { replicas: vec![GCounter::new(); RegionId::COUNT], anti_entropy_ms }
    }

    /// The counter held by `region`.
    pub fn replica(&self, region: RegionId) -> &GCounter {
        &self.replicas[region.index()]
    }
}

impl Strategy for EventPush {
    fn kind(&self) -> StrategyKind {
        StrategyKind::EventPush
    }

    fn start(&mut self, ctx: &mut Ctx) {
        if let Some(period) = self.anti_entropy_ms {
            // Stagger the regions' rounds so they do not all gossip at once.
            let period = ctx.scaled(period);
            for r in RegionId::all() {
                let offset = period * (r.index() as Millis + 1) / RegionId::COUNT as Millis;
                ctx.set_timer(offset, r, Timer::AntiEntropy);
            }
        }
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        let seq = self.replicas[region.index()].increment(region);
        ctx.broadcast(region, &Message::Like { origin: region, seq });
        Ok(Accepted::Now)
    }

    fn deliver(&mut self, _ctx: &mut Ctx, _from: RegionId, to: RegionId, msg: Message) {
        let replica = &mut self.replicas[to.index()];
        match msg {
            Message::Like { origin, seq } => {
                replica.observe(origin, seq);
            }
            Message::State(state) => {
                replica.merge(&state);
            }
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        let Timer::AntiEntropy = timer;
        let Some(period) = self.anti_entropy_ms else { return };
        // Gossip to one random peer: over a few rounds every pair is covered,
        // at a cost of one message per region per round instead of N - 1.
        let peers: Vec<RegionId> = RegionId::all().filter(|&r| r != region).collect();
        let peer = peers[ctx.rng().random_range(0..peers.len())];
        ctx.send(region, peer, Message::State(self.replicas[region.index()].clone()));
        let period = ctx.scaled(period);
        ctx.set_timer(period, region, Timer::AntiEntropy);
    }

    fn read(&self, region: RegionId) -> u64 {
        self.replicas[region.index()].value()
    }
}
