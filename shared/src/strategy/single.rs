//! Single writer: one leader region owns the count.
//!
//! **How it works.** A like at the leader is applied there and acknowledged
//! at once. A like anywhere else is *forwarded* to the leader
//! (`Forward { origin, id }`) and the user is told "pending"
//! ([`Accepted::Later`]); the leader applies it, answers
//! `Applied { id, value }`, and only when that answer gets back is the like
//! acknowledged. After every change the leader broadcasts its count
//! (`Value`); followers show the leader's last count they heard (never going
//! backwards). Every `RETRY_MS` a follower re-sends the forwards still
//! unanswered (the leader answers again without re-applying), and the leader
//! re-broadcasts its count, so lost messages are repaired once links heal.
//!
//! **Guarantee.** The leader's count is the truth: every acknowledged like is
//! in it, each forwarded like is applied once (the leader remembers the ids
//! it applied, so a duplicated forward changes nothing), and no region ever
//! shows more than the leader.
//!
//! **Failure mode.** Availability. A like costs a round trip to the leader,
//! and a region that cannot reach the leader — a cut link either way, or the
//! leader down — cannot take likes at all: they are refused
//! ([`Refusal::Unavailable`]). Until its answer arrives a forwarded like is
//! *in doubt*: it may or may not have been counted already.

use super::{Accepted, BoundCtx, Ctx, Message, Reach, Refusal, Stage, Strategy, StrategyKind, Timer};
use crate::region::RegionId;
use crate::sim::Millis;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct SingleWriter {
    leader: RegionId,
    /// The leader's count.
    value: u64,
    /// What the leader last put on the wire (its durability without a log).
    shipped_value: u64,
    /// The count each region shows (the leader's entry is unused).
    shown: Vec<u64>,
    /// Next forward id per region.
    next_id: Vec<u64>,
    /// Forwards awaiting the leader's answer, per region.
    pending: Vec<BTreeSet<u64>>,
    /// Forward ids the leader applied, per origin.
    applied: Vec<BTreeSet<u64>>,
}

impl SingleWriter {
    /// Period of re-sent forwards and of the leader's heartbeat broadcast.
    pub const RETRY_MS: Millis = 5_000;

    pub fn new(leader: RegionId) -> Self {
        SingleWriter {
            leader,
            value: 0,
            shipped_value: 0,
            shown: vec![0; RegionId::COUNT],
            next_id: vec![0; RegionId::COUNT],
            pending: vec![BTreeSet::new(); RegionId::COUNT],
            applied: vec![BTreeSet::new(); RegionId::COUNT],
        }
    }

    pub fn leader(&self) -> RegionId {
        self.leader
    }

    /// The leader's count.
    pub fn leader_value(&self) -> u64 {
        self.value
    }

    fn publish(&mut self, ctx: &mut Ctx, except: Option<RegionId>) {
        let value = self.value;
        for to in RegionId::all().filter(|&r| r != self.leader && Some(r) != except) {
            if ctx.send(self.leader, to, Message::Value(value)) {
                self.shipped_value = self.shipped_value.max(value);
            }
        }
    }
}

impl Strategy for SingleWriter {
    fn kind(&self) -> StrategyKind {
        StrategyKind::SingleWriter
    }

    fn start(&mut self, ctx: &mut Ctx) {
        for r in RegionId::all() {
            self.restart(ctx, r);
        }
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        let period = ctx.scaled(Self::RETRY_MS);
        ctx.set_timer(period, region, Timer::Retry);
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        if !ctx.reachable(region, self.leader) {
            return Err(Refusal::Unavailable(region));
        }
        if region == self.leader {
            self.value += 1;
            self.publish(ctx, None);
            return Ok(Accepted::Now);
        }
        let r = region.index();
        self.next_id[r] += 1;
        let id = self.next_id[r];
        self.pending[r].insert(id);
        ctx.send(region, self.leader, Message::Forward { origin: region, id });
        Ok(Accepted::Later)
    }

    fn deliver(&mut self, ctx: &mut Ctx, _from: RegionId, to: RegionId, msg: Message) {
        match msg {
            Message::Forward { origin, id } if to == self.leader => {
                // Apply once; answer every copy (the answer may have been lost).
                if self.applied[origin.index()].insert(id) {
                    self.value += 1;
                }
                let value = self.value;
                if ctx.send(self.leader, origin, Message::Applied { id, value }) {
                    self.shipped_value = self.shipped_value.max(value);
                }
                self.publish(ctx, Some(origin));
            }
            Message::Applied { id, value } => {
                let r = to.index();
                self.shown[r] = self.shown[r].max(value);
                if self.pending[r].remove(&id) {
                    ctx.acknowledge(to);
                }
            }
            Message::Value(value) => {
                let r = to.index();
                self.shown[r] = self.shown[r].max(value);
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        if timer != Timer::Retry {
            return;
        }
        if region == self.leader {
            self.publish(ctx, None);
        } else {
            let pending: Vec<u64> = self.pending[region.index()].iter().copied().collect();
            for id in pending {
                ctx.send(region, self.leader, Message::Forward { origin: region, id });
            }
        }
        self.restart(ctx, region);
    }

    fn stages(&self) -> Vec<Stage> {
        vec![Stage {
            label: "Applied by the leader".into(),
            count: self.value,
            note: format!("the one copy that decides, in {}", self.leader.info().city),
        }]
    }

    fn read(&self, region: RegionId) -> u64 {
        if region == self.leader {
            self.value
        } else {
            self.shown[region.index()]
        }
    }

    fn available(&self, region: RegionId, reach: &Reach) -> bool {
        reach.up(region, self.leader)
    }

    fn crash(&mut self, region: RegionId, durable: bool) -> u64 {
        if durable {
            return 0;
        }
        let r = region.index();
        if region == self.leader {
            // Only what left the leader survives (a follower holds it).
            let lost = self.value.saturating_sub(self.shipped_value);
            self.value = self.shipped_value;
            lost
        } else {
            // A follower only caches the count; its pending likes stay in doubt.
            self.shown[r] = 0;
            self.pending[r].clear();
            0
        }
    }

    fn seed(&mut self, per_region: &[u64]) {
        let total = per_region.iter().sum();
        self.value = total;
        self.shipped_value = total;
        self.shown = vec![total; RegionId::COUNT];
    }

    fn convergence_bound(&self, origin: RegionId, b: &BoundCtx) -> Option<Millis> {
        Some((b.dist)(origin, self.leader)? + b.farthest(self.leader)?)
    }
}
