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
//! `Ack { origin, upto }`, and every `retry_ms` the origin re-sends to each
//! peer that has not acknowledged its newest like. The ack is a *high-water
//! mark* ("I hold Tokyo's likes up to 41") and the re-send carries only the
//! newest sequence number, so what an origin remembers per peer is one
//! number and a retry round is one message per lagging peer — however many
//! likes are pending, and however long a peer stays down.
//!
//! At-least-once delivery is only safe because the *apply* is idempotent:
//! an event "like #k from Tokyo" is applied as "Tokyo has at least k likes"
//! ([`GCounter::observe`]), so a duplicate, a re-send, or an event overtaken
//! by a later one or by a gossip round, changes nothing. Turn `dedupe` off
//! and each arriving event adds one ([`GCounter::add_unchecked`]): a network
//! that duplicates messages, a retry whose ack was lost, or an event that
//! arrives after gossip already brought its like now makes the count climb
//! above the truth — for good, since the inflated slot then spreads by
//! gossip like any other.

use super::{
    crashed_counter, path_text, seeded_counters, Accepted, Pending, RefCtx, Reference, Refusal, Strategy, StrategyKind,
};
use crate::crdt::GCounter;
use crate::kernel::{staggered, Ctx, Message, Millis, Tally, Timer};
use crate::region::RegionId;
use rand::Rng;

#[derive(Debug, Clone)]
pub struct EventPush {
    replicas: Vec<GCounter>,
    anti_entropy_ms: Option<Millis>,
    retry_ms: Option<Millis>,
    dedupe: bool,
    /// `acked[origin][peer]`: the highest of `origin`'s likes that `peer`
    /// acknowledged (only with retries on).
    acked: Vec<Vec<u64>>,
    /// When each region's next anti-entropy round and retry round fire,
    /// and their periods (scaled).
    next_gossip: Vec<Option<Millis>>,
    next_retry: Vec<Option<Millis>>,
    gossip_period: Millis,
    /// Peers the last like's push did not reach the wire for (lost, cut, or
    /// down): their reference is a repair, not the push.
    unpushed: Vec<RegionId>,
    /// Whether an event's number says everything before it (claps) or the
    /// event carries only its own operation (people's likes, where a
    /// duplicate is harmless by construction and `dedupe` has no say).
    carry_history: bool,
}

impl EventPush {
    /// Each region gossips its state every 4 s (before time scaling): rare
    /// enough to stay cheap, frequent enough to repair a loss quickly.
    pub const DEFAULT_ANTI_ENTROPY_MS: Millis = 4_000;
    /// The retry period: above the slowest round trip (~3.8 s: Tokyo ⇄ São
    /// Paulo twice), so an ack normally comes back before the event is sent
    /// again.
    pub const DEFAULT_RETRY_MS: Millis = 5_000;
    /// The shortest retry period a room accepts: the slowest round trip.
    pub const MIN_RETRY_MS: Millis = 4_000;

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
            acked: vec![vec![0; RegionId::COUNT]; RegionId::COUNT],
            next_gossip: vec![None; RegionId::COUNT],
            next_retry: vec![None; RegionId::COUNT],
            gossip_period: 0,
            unpushed: Vec::new(),
            carry_history: true,
        }
    }

    /// The counter held by `region`.
    pub fn replica(&self, region: RegionId) -> &GCounter {
        &self.replicas[region.index()]
    }

    fn arm_gossip(&mut self, ctx: &mut Ctx, r: RegionId, first: bool) {
        if let Some(period) = self.anti_entropy_ms {
            let period = ctx.scaled(period);
            let after = if first { staggered(period, r) } else { period };
            ctx.set_timer(after, r, Timer::AntiEntropy);
            self.next_gossip[r.index()] = Some(ctx.now() + after);
            self.gossip_period = period;
        }
    }

    fn arm_retry(&mut self, ctx: &mut Ctx, r: RegionId) {
        if let Some(period) = self.retry_ms {
            let period = ctx.scaled(period);
            ctx.set_timer(period, r, Timer::Retry);
            self.next_retry[r.index()] = Some(ctx.now() + period);
        }
    }

    /// How many of `origin`'s likes `peer` has not acknowledged.
    fn unacked(&self, origin: RegionId, peer: RegionId) -> u64 {
        self.replicas[origin.index()].get(origin).saturating_sub(self.acked[origin.index()][peer.index()])
    }
}

impl Strategy for EventPush {
    fn kind(&self) -> StrategyKind {
        StrategyKind::EventPush
    }

    fn clone_box(&self) -> Box<dyn Strategy> {
        Box::new(self.clone())
    }

    fn start(&mut self, ctx: &mut Ctx) {
        self.carry_history = ctx.ops_carry_history();
        for r in RegionId::all() {
            self.arm_gossip(ctx, r, true);
            self.arm_retry(ctx, r);
        }
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        let seq = self.replicas[region.index()].increment(region);
        let from = ctx.first_carried(seq - 1);
        self.unpushed.clear();
        for peer in RegionId::all().filter(|&p| p != region) {
            if !ctx.send(region, peer, Message::Like { origin: region, seq, from }) {
                self.unpushed.push(peer);
            }
        }
        Ok(Accepted::Now)
    }

    fn deliver(&mut self, ctx: &mut Ctx, from: RegionId, to: RegionId, msg: Message) {
        match msg {
            Message::Like { origin, seq, from: first } => {
                let replica = &mut self.replicas[to.index()];
                // A run that starts beyond what the replica holds would leave
                // a hole: it is dropped, and the retry or the next gossip
                // round brings the whole run (claps always start at 1).
                let continues = first <= replica.get(origin) + 1;
                if self.dedupe || !self.carry_history {
                    if continues {
                        replica.observe(origin, seq);
                    }
                } else {
                    replica.add_unchecked(origin, 1);
                }
                if self.retry_ms.is_some() {
                    let upto = if continues || self.carry_history { seq } else { replica.get(origin) };
                    ctx.send(to, from, Message::Ack { origin, upto });
                }
            }
            Message::Ack { origin, upto } => {
                let acked = &mut self.acked[origin.index()][from.index()];
                *acked = (*acked).max(upto);
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
                // Gossip to one random peer: over a few rounds every pair is
                // covered, at one message per region per round instead of N - 1.
                let peers: Vec<RegionId> = RegionId::all().filter(|&r| r != region).collect();
                let peer = peers[ctx.rng().random_range(0..peers.len())];
                ctx.send(region, peer, Message::State(self.replicas[region.index()].clone()));
                self.arm_gossip(ctx, region, false);
            }
            Timer::Retry => {
                ctx.for_likes();
                let seq = self.replicas[region.index()].get(region);
                for peer in RegionId::all().filter(|&p| p != region) {
                    if self.unacked(region, peer) > 0 {
                        let from = ctx.first_carried(self.acked[region.index()][peer.index()]);
                        ctx.send(region, peer, Message::Like { origin: region, seq, from });
                    }
                }
                self.arm_retry(ctx, region);
            }
            _ => {}
        }
    }

    fn numbered(&self, origin: RegionId) -> u64 {
        self.replicas[origin.index()].get(origin)
    }

    fn tally(&self, region: RegionId) -> Tally {
        Tally::from_slots(self.replicas[region.index()].slots())
    }

    fn would_change(&self, from: RegionId, to: RegionId, msg: &Message) -> bool {
        match msg {
            Message::Like { origin, seq, from } => {
                let held = self.replicas[to.index()].get(*origin);
                (!self.dedupe && self.carry_history)
                    || (*seq > held && *from <= held + 1)
                    || (self.retry_ms.is_some() && self.acked[origin.index()][to.index()] < held.min(*seq))
            }
            Message::Ack { origin, upto } => *upto > self.acked[origin.index()][from.index()],
            Message::State(state) => !self.replicas[to.index()].dominates(state),
            _ => false,
        }
    }

    fn pending(&self) -> Vec<Pending> {
        if self.retry_ms.is_none() {
            return Vec::new();
        }
        let count: u64 = RegionId::all()
            .map(|o| RegionId::all().filter(|&p| p != o).map(|p| self.unacked(o, p)).max().unwrap_or(0))
            .sum();
        if count == 0 {
            return Vec::new();
        }
        vec![Pending {
            count,
            what: format!("{} not yet acknowledged by every peer, re-sent until they are", super::likes(count)),
        }]
    }

    fn repairs(&self) -> bool {
        self.anti_entropy_ms.is_some() || self.retry_ms.is_some()
    }

    fn crash(&mut self, _ctx: &mut Ctx, region: RegionId, durable: bool, in_flight: &[(RegionId, &Message)]) {
        if durable {
            return;
        }
        let i = region.index();
        self.replicas[i] = crashed_counter(&self.replicas, region, in_flight);
        // The acks it had collected were in memory too.
        self.acked[i].iter_mut().for_each(|a| *a = 0);
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm_gossip(ctx, region, false);
        self.arm_retry(ctx, region);
    }

    fn seed(&mut self, tallies: &[Tally]) {
        self.replicas = seeded_counters(tallies);
        for r in RegionId::all() {
            for p in RegionId::all() {
                self.acked[r.index()][p.index()] = tallies[p.index()].get(r);
            }
        }
    }

    fn reference(&self, origin: RegionId, rc: &RefCtx) -> Option<Reference> {
        // The regions the push reached: one hop each.
        let pushed = RegionId::all().filter(|&p| p != origin && !self.unpushed.contains(&p) && rc.live(p));
        let mut worst = Reference::new(rc.now, 0, 0, path_text(origin, origin), "push");
        for p in pushed {
            let d = rc.dist(origin, p)?;
            if rc.now + d > worst.at {
                worst = Reference::new(rc.now, 0, d, path_text(origin, p), "push");
            }
        }
        // A region the push missed gets the like, at the earliest, from the
        // next anti-entropy round (or re-send) of a region holding it: the
        // origin now, or a region the push reached, once it has landed.
        for &p in self.unpushed.iter().filter(|&&p| rc.live(p)) {
            let mut best: Option<(Millis, Millis, RegionId, &str)> = None;
            let mut consider = |at: Millis, d: Millis, x: RegionId, how: &'static str| {
                if best.is_none_or(|b| at < b.0) {
                    best = Some((at, d, x, how));
                }
            };
            if let (Some(retry), Some(d)) = (self.next_retry[origin.index()], rc.dist(origin, p)) {
                consider(retry.max(rc.now) + d, d, origin, "re-send after a lost push");
            }
            for x in RegionId::all().filter(|&x| x != p && rc.live(x) && !self.unpushed.contains(&x)) {
                let (Some(next), Some(d_xp)) = (self.next_gossip[x.index()], rc.dist(x, p)) else { continue };
                let holds_from = if x == origin { rc.now } else { rc.now + rc.dist(origin, x).unwrap_or(0) };
                let period = self.gossip_period.max(1);
                let round =
                    if next >= holds_from { next } else { next + (holds_from - next).div_ceil(period) * period };
                consider(round + d_xp, d_xp, x, "gossip after a lost push");
            }
            // No repair at all: the like never reaches it (and is judged lost).
            let Some((at, d, x, how)) = best else { continue };
            if at > worst.at {
                worst = Reference::new(rc.now, at - rc.now - d, d, path_text(x, p), how);
            }
        }
        Some(worst)
    }

    fn next_send(&self, region: RegionId, _now: Millis) -> Option<Millis> {
        let i = region.index();
        match (self.next_gossip[i], self.next_retry[i]) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
