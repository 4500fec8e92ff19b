//! Background sync: state-based anti-entropy and nothing else.
//!
//! A like only bumps the local region's slot of its [`GCounter`]; nothing is
//! sent at that moment. Instead, every `interval_ms` each region sends its
//! counter to *every* peer, and a peer merges what it receives (pointwise
//! max). That is the whole protocol.
//!
//! **Guarantee.** Because a merge is commutative, associative and idempotent,
//! the network can lose, duplicate and reorder these messages as it likes:
//! the next round carries everything again, so once the network heals and a
//! round gets through, every replica holds exactly the ground truth.
//!
//! **Cost and the delta variant.** A full state is 8 bytes per region, every
//! round, to every peer, even when nothing changed. With `delta: true` a
//! region keeps, per peer, what it believes that peer already has and sends
//! only the slots ahead of it (nothing at all when there is nothing new). The
//! belief is optimistic — it is updated when the delta is sent — so a lost
//! delta would leave a hole; every [`BackgroundSync::FULL_EVERY`]-th round
//! therefore still sends the full state, and receiving a peer's full state
//! corrects the belief. The bytes saved against always-full rounds are
//! counted in [`Strategy::bytes_saved`].
//!
//! **Failure mode.** Slowness: a like waits for its region's next round
//! before it travels at all, then a link delay. Freshness is bought with
//! bandwidth.

use super::{
    crashed_counter, path_text, seeded_counters, Accepted, RefCtx, Reference, Refusal, Strategy, StrategyKind,
};
use crate::crdt::GCounter;
use crate::kernel::{staggered, Ctx, Message, Millis, Tally, Timer};
use crate::region::RegionId;

#[derive(Debug, Clone)]
pub struct BackgroundSync {
    replicas: Vec<GCounter>,
    interval_ms: Millis,
    delta: bool,
    /// `known[r][p]`: what region `r` believes peer `p` has.
    known: Vec<Vec<GCounter>>,
    /// Rounds each region has run (every `FULL_EVERY`-th sends full state).
    rounds: Vec<u64>,
    /// When each region's next round fires.
    next_round: Vec<Option<Millis>>,
    saved: u64,
}

impl BackgroundSync {
    pub const DEFAULT_INTERVAL_MS: Millis = 2_000;
    pub const MIN_INTERVAL_MS: Millis = 100;
    pub const MAX_INTERVAL_MS: Millis = 60_000;
    /// With deltas on, one round in this many still sends full states.
    pub const FULL_EVERY: u64 = 5;

    pub fn new(interval_ms: Millis, delta: bool) -> Self {
        BackgroundSync {
            replicas: vec![GCounter::new(); RegionId::COUNT],
            interval_ms: interval_ms.clamp(Self::MIN_INTERVAL_MS, Self::MAX_INTERVAL_MS),
            delta,
            known: vec![vec![GCounter::new(); RegionId::COUNT]; RegionId::COUNT],
            rounds: vec![0; RegionId::COUNT],
            next_round: vec![None; RegionId::COUNT],
            saved: 0,
        }
    }

    pub fn replica(&self, region: RegionId) -> &GCounter {
        &self.replicas[region.index()]
    }

    fn arm(&mut self, ctx: &mut Ctx, r: RegionId, first: bool) {
        let period = ctx.scaled(self.interval_ms);
        let after = if first { staggered(period, r) } else { period };
        ctx.set_timer(after, r, Timer::Sync);
        self.next_round[r.index()] = Some(ctx.now() + after);
    }
}

impl Strategy for BackgroundSync {
    fn kind(&self) -> StrategyKind {
        StrategyKind::BackgroundSync
    }

    fn clone_box(&self) -> Box<dyn Strategy> {
        Box::new(self.clone())
    }

    fn start(&mut self, ctx: &mut Ctx) {
        for r in RegionId::all() {
            self.arm(ctx, r, true);
        }
    }

    fn like(&mut self, _ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        self.replicas[region.index()].increment(region);
        Ok(Accepted::Now)
    }

    fn deliver(&mut self, _ctx: &mut Ctx, from: RegionId, to: RegionId, msg: Message) {
        let (t, f) = (to.index(), from.index());
        match msg {
            Message::State(state) => {
                self.replicas[t].merge(&state);
                self.known[t][f] = state;
            }
            Message::Delta(entries) => {
                for (origin, first, n) in entries {
                    // A run that would leave a hole (an earlier delta was
                    // lost) waits for the next full round instead.
                    if first <= self.replicas[t].get(origin) + 1 {
                        self.replicas[t].observe(origin, n);
                    }
                    // The sender holds its whole run up to `n`, whatever it sent.
                    self.known[t][f].observe(origin, n);
                }
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        if timer != Timer::Sync {
            return;
        }
        let r = region.index();
        self.rounds[r] += 1;
        let full_round = !self.delta || self.rounds[r].is_multiple_of(Self::FULL_EVERY);
        let state = self.replicas[r].clone();
        let full_bytes = u64::from(Message::State(state.clone()).wire_bytes());
        for peer in RegionId::all().filter(|&p| p != region) {
            let p = peer.index();
            let msg = if full_round {
                Message::State(state.clone())
            } else {
                let known = &self.known[r][p];
                let delta = state.delta_since(known);
                if delta.is_empty() {
                    self.saved += full_bytes;
                    continue;
                }
                Message::Delta(delta.into_iter().map(|(o, n)| (o, ctx.first_carried(known.get(o)), n)).collect())
            };
            self.saved += full_bytes - u64::from(msg.wire_bytes()).min(full_bytes);
            if self.delta {
                self.known[r][p].merge(&state);
            }
            ctx.send(region, peer, msg);
        }
        self.arm(ctx, region, false);
    }

    fn numbered(&self, origin: RegionId) -> u64 {
        self.replicas[origin.index()].get(origin)
    }

    fn tally(&self, region: RegionId) -> Tally {
        Tally::from_slots(self.replicas[region.index()].slots())
    }

    fn would_change(&self, _from: RegionId, to: RegionId, msg: &Message) -> bool {
        let replica = &self.replicas[to.index()];
        match msg {
            Message::State(state) => !replica.dominates(state),
            Message::Delta(entries) => {
                entries.iter().any(|&(o, first, n)| n > replica.get(o) && first <= replica.get(o) + 1)
            }
            _ => false,
        }
    }

    fn repairs(&self) -> bool {
        true
    }

    fn crash(&mut self, _ctx: &mut Ctx, region: RegionId, durable: bool, in_flight: &[(RegionId, &Message)]) {
        if durable {
            return;
        }
        let i = region.index();
        self.replicas[i] = crashed_counter(&self.replicas, region, in_flight);
        self.known[i] = vec![GCounter::new(); RegionId::COUNT];
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm(ctx, region, false);
    }

    fn seed(&mut self, tallies: &[Tally]) {
        self.replicas = seeded_counters(tallies);
        // Beliefs start empty: the first delta rounds send what they hold.
        self.known = vec![vec![GCounter::new(); RegionId::COUNT]; RegionId::COUNT];
    }

    fn reference(&self, origin: RegionId, rc: &RefCtx) -> Option<Reference> {
        // Nothing leaves before the origin's next round; then one hop to
        // every peer (a relay would wait for another round on top).
        let next = self.next_round[origin.index()]?;
        let (d, far) = rc.farthest(origin)?;
        Some(Reference::new(rc.now, next.saturating_sub(rc.now), d, path_text(origin, far), "sync round"))
    }

    fn next_send(&self, region: RegionId, _now: Millis) -> Option<Millis> {
        self.next_round[region.index()]
    }

    fn bytes_saved(&self) -> u64 {
        self.saved
    }
}
