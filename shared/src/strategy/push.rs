//! Event push with anti-entropy: the default way likes travel.
//!
//! Two mechanisms, each covering the other's weakness:
//!
//! 1. **Push** (operation-based). The region that takes a like increments its
//!    own slot of its [`GCounter`] and sends `Like { origin, seq }` to every
//!    peer right away. This is fast — a like reaches a peer after one link
//!    delay — but only as reliable as the network.
//! 2. **Anti-entropy** (state-based). Every few seconds each region sends its
//!    whole counter to one random peer, which merges it. This is slow and
//!    costs more bytes, but it repairs anything the push missed, whatever the
//!    reason, because merging states needs no history.
//!
//! Optionally the push is made **at-least-once**: each receiver answers
//! `Ack { origin, seq }`, and every `retry_ms` the origin re-sends, peer by
//! peer, the events that peer has not acknowledged yet. A lost event (or a
//! lost ack) is then repaired by the origin itself, without waiting for
//! gossip — at the price of acks on every like and re-sends that may arrive
//! twice.
//!
//! At-least-once delivery is only safe because the *apply* is idempotent:
//! an event "like #k from Tokyo" is applied as "Tokyo has at least k likes"
//! ([`GCounter::observe`]), so a duplicate, a re-send, or an event overtaken
//! by a later one or by a gossip round, changes nothing. Turn `dedupe` off
//! and each arriving event adds one ([`GCounter::add_unchecked`]): a network
//! that duplicates messages, or a retry whose ack was lost, now makes the
//! count climb above the truth — for good, since the inflated slot then
//! spreads by gossip like any other.

use super::{crash_gcounter, staggered, Accepted, Ctx, Message, Refusal, Strategy, StrategyKind, Timer};
use crate::crdt::GCounter;
use crate::region::RegionId;
use crate::sim::Millis;
use rand::Rng;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct EventPush {
    replicas: Vec<GCounter>,
    anti_entropy_ms: Option<Millis>,
    retry_ms: Option<Millis>,
    dedupe: bool,
    /// `unacked[origin][peer]`: sequence numbers of `origin`'s likes that
    /// `peer` has not acknowledged (only with retries on).
    unacked: Vec<Vec<BTreeSet<u64>>>,
    /// Highest own like each region has put on the wire (its durability).
    shipped: Vec<u64>,
}

impl EventPush {
    /// Each region gossips its state every 4 s (before time scaling): rare
    /// enough to stay cheap, frequent enough to repair a loss quickly.
    pub const DEFAULT_ANTI_ENTROPY_MS: Millis = 4_000;
    /// A suggested retry period: above the slowest round trip (~4 s).
    pub const DEFAULT_RETRY_MS: Millis = 5_000;

    /// Push plus optional anti-entropy, no retries, de-duplicating.
    pub fn new(anti_entropy_ms: Option<Millis>) -> Self {
        EventPush::with_options(anti_entropy_ms, None, true)
    }

    pub fn with_options(anti_entropy_ms: Option<Millis>, retry_ms: Option<Millis>, dedupe: bool) -> Self {
        EventPush {
            replicas: vec![GCounter::new(); RegionId::COUNT],
            anti_entropy_ms,
            retry_ms,
            dedupe,
            unacked: vec![vec![BTreeSet::new(); RegionId::COUNT]; RegionId::COUNT],
            shipped: vec![0; RegionId::COUNT],
        }
    }

    /// The counter held by `region`.
    pub fn replica(&self, region: RegionId) -> &GCounter {
        &self.replicas[region.index()]
    }

    fn arm(&self, ctx: &mut Ctx, r: RegionId) {
        if let Some(period) = self.anti_entropy_ms {
            let period = ctx.scaled(period);
            ctx.set_timer(staggered(period, r), r, Timer::AntiEntropy);
        }
        if let Some(period) = self.retry_ms {
            let period = ctx.scaled(period);
            ctx.set_timer(period, r, Timer::Retry);
        }
    }

    fn ship(&mut self, region: RegionId, seq: u64, sent: bool) {
        if sent {
            let s = &mut self.shipped[region.index()];
            *s = (*s).max(seq);
        }
    }
}

impl Strategy for EventPush {
    fn kind(&self) -> StrategyKind {
        StrategyKind::EventPush
    }

    fn start(&mut self, ctx: &mut Ctx) {
        for r in RegionId::all() {
            self.arm(ctx, r);
        }
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        let seq = self.replicas[region.index()].increment(region);
        if self.retry_ms.is_some() {
            for peer in RegionId::all().filter(|&p| p != region) {
                self.unacked[region.index()][peer.index()].insert(seq);
            }
        }
        let sent = ctx.broadcast(region, &Message::Like { origin: region, seq });
        self.ship(region, seq, sent);
        Ok(Accepted::Now)
    }

    fn deliver(&mut self, ctx: &mut Ctx, from: RegionId, to: RegionId, msg: Message) {
        match msg {
            Message::Like { origin, seq } => {
                let replica = &mut self.replicas[to.index()];
                if self.dedupe {
                    replica.observe(origin, seq);
                } else {
                    replica.add_unchecked(origin, 1);
                }
                if self.retry_ms.is_some() {
                    ctx.send(to, from, Message::Ack { origin, seq });
                }
            }
            Message::Ack { origin, seq } => {
                self.unacked[origin.index()][from.index()].remove(&seq);
            }
            Message::State(state) => {
                self.replicas[to.index()].merge(&state);
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        match timer {
            Timer::AntiEntropy => {
                let Some(period) = self.anti_entropy_ms else { return };
                // Gossip to one random peer: over a few rounds every pair is
                // covered, at one message per region per round instead of N - 1.
                let peers: Vec<RegionId> = RegionId::all().filter(|&r| r != region).collect();
                let peer = peers[ctx.rng().random_range(0..peers.len())];
                let state = self.replicas[region.index()].clone();
                let own = state.get(region);
                let sent = ctx.send(region, peer, Message::State(state));
                self.ship(region, own, sent);
                let period = ctx.scaled(period);
                ctx.set_timer(period, region, Timer::AntiEntropy);
            }
            Timer::Retry => {
                let Some(period) = self.retry_ms else { return };
                for peer in RegionId::all().filter(|&p| p != region) {
                    let pending: Vec<u64> = self.unacked[region.index()][peer.index()].iter().copied().collect();
                    for seq in pending {
                        let sent = ctx.send(region, peer, Message::Like { origin: region, seq });
                        self.ship(region, seq, sent);
                    }
                }
                let period = ctx.scaled(period);
                ctx.set_timer(period, region, Timer::Retry);
            }
            _ => {}
        }
    }

    fn read(&self, region: RegionId) -> u64 {
        self.replicas[region.index()].value()
    }

    fn crash(&mut self, region: RegionId, durable: bool) -> u64 {
        let i = region.index();
        let lost = crash_gcounter(&mut self.replicas[i], region, self.shipped[i], durable);
        if !durable {
            let shipped = self.shipped[i];
            for set in &mut self.unacked[i] {
                set.retain(|&s| s <= shipped);
            }
        }
        lost
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm(ctx, region);
    }

    fn seed(&mut self, per_region: &[u64]) {
        let state = GCounter::from_slots(per_region.iter().copied());
        self.replicas = vec![state; RegionId::COUNT];
        self.shipped = per_region.to_vec();
    }
}
