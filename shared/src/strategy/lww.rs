//! Last writer wins, applied to the total: the classic mistake.
//!
//! **How it works.** Each region holds a register `(total, ts, origin)`. A
//! like sets the local register to `(total + 1, now, here)` and broadcasts
//! it; a region receiving a register overwrites its own if the incoming
//! `(ts, origin)` is newer (the origin breaks timestamp ties, so every region
//! picks the same winner). Optionally each region also re-sends its register
//! to a random peer every `resend_ms`, so a lost broadcast is repaired.
//!
//! **Guarantee.** Convergence, and only that: every region ends on the
//! register with the largest `(ts, origin)`.
//!
//! **Failure mode.** It converges to the *wrong number*. Two likes taken at
//! about the same time in two regions — each before hearing of the other —
//! both produce "old + 1"; one register overwrites the other, and one like
//! is gone although its user was told it counted. The total is not a value
//! that can be overwritten; it is a sum of contributions, which is exactly
//! what the grow-only counter replicates instead.

use super::{staggered, Accepted, Ctx, Message, Refusal, Strategy, StrategyKind, Timer};
use crate::region::RegionId;
use crate::sim::Millis;
use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Register {
    total: u64,
    ts: Millis,
    origin: RegionId,
}

impl Register {
    fn newer_than(&self, other: &Register) -> bool {
        (self.ts, self.origin) > (other.ts, other.origin)
    }
}

#[derive(Debug, Clone)]
pub struct LastWriterWins {
    registers: Vec<Register>,
    /// The last register each region put on the wire (its durability).
    shipped: Vec<Register>,
    resend_ms: Option<Millis>,
}

impl LastWriterWins {
    pub fn new(resend_ms: Option<Millis>) -> Self {
        let zero = |r| Register { total: 0, ts: 0, origin: r };
        let registers: Vec<Register> = RegionId::all().map(zero).collect();
        LastWriterWins { shipped: registers.clone(), registers, resend_ms }
    }

    fn arm(&self, ctx: &mut Ctx, r: RegionId, first: bool) {
        if let Some(period) = self.resend_ms {
            let period = ctx.scaled(period);
            let after = if first { staggered(period, r) } else { period };
            ctx.set_timer(after, r, Timer::AntiEntropy);
        }
    }

    fn message(reg: Register) -> Message {
        Message::Total { total: reg.total, ts: reg.ts, origin: reg.origin }
    }
}

impl Strategy for LastWriterWins {
    fn kind(&self) -> StrategyKind {
        StrategyKind::LastWriterWins
    }

    fn start(&mut self, ctx: &mut Ctx) {
        for r in RegionId::all() {
            self.arm(ctx, r, true);
        }
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        let r = region.index();
        let old = self.registers[r];
        // A later timestamp than anything this region has seen, so its own
        // write wins locally even if its clock is behind the last writer's.
        let ts = ctx.now().max(old.ts + 1);
        let reg = Register { total: old.total + 1, ts, origin: region };
        self.registers[r] = reg;
        if ctx.broadcast(region, &Self::message(reg)) {
            self.shipped[r] = reg;
        }
        Ok(Accepted::Now)
    }

    fn deliver(&mut self, _ctx: &mut Ctx, _from: RegionId, to: RegionId, msg: Message) {
        if let Message::Total { total, ts, origin } = msg {
            let incoming = Register { total, ts, origin };
            if incoming.newer_than(&self.registers[to.index()]) {
                self.registers[to.index()] = incoming;
            }
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        if timer != Timer::AntiEntropy || self.resend_ms.is_none() {
            return;
        }
        let peers: Vec<RegionId> = RegionId::all().filter(|&p| p != region).collect();
        let peer = peers[ctx.rng().random_range(0..peers.len())];
        let reg = self.registers[region.index()];
        if ctx.send(region, peer, Self::message(reg)) {
            self.shipped[region.index()] = reg;
        }
        self.arm(ctx, region, false);
    }

    fn read(&self, region: RegionId) -> u64 {
        self.registers[region.index()].total
    }

    fn crash(&mut self, region: RegionId, durable: bool) -> u64 {
        let r = region.index();
        if durable {
            return 0;
        }
        // Back to the last register it shipped. (Counting the likes this
        // destroys is meaningless here: LWW loses likes anyway; the verdict
        // compares the final count with the ground truth.)
        self.registers[r] = self.shipped[r];
        0
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm(ctx, region, false);
    }

    fn seed(&mut self, per_region: &[u64]) {
        let total = per_region.iter().sum();
        let first = RegionId::from_index(0).expect("catalog is not empty");
        let reg = Register { total, ts: 0, origin: first };
        self.registers = vec![reg; RegionId::COUNT];
        self.shipped = self.registers.clone();
    }
}
