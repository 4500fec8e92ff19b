//! Last writer wins, applied to the total: the classic mistake.
//!
//! **How it works.** Each region holds a register `(total, stamp, origin)`.
//! A like sets the local register to `(total + 1, clock, here)` and
//! broadcasts it; a region receiving a register overwrites its own if the
//! incoming `(stamp, origin)` is newer (the origin breaks ties, so every
//! region picks the same winner). Optionally each region also re-sends its
//! register to a random peer every `resend_ms`, so a lost broadcast is
//! repaired.
//!
//! **Clocks.** The stamp is the writing region's own clock, and real clocks
//! disagree. Region clocks here are offset from true time by a fixed
//! fraction of the room's skew (see [`LastWriterWins::clock_offset`]). A
//! region also never stamps below what it already holds, so its own write
//! always wins locally.
//!
//! **Guarantee.** Convergence, and only that: every region ends on the
//! register with the largest `(stamp, origin)`.
//!
//! **Failure mode.** It converges to the *wrong number*, in two ways:
//! - *Concurrent writes.* Two likes taken at about the same time in two
//!   regions — each before hearing of the other — both produce "old + 1";
//!   one register overwrites the other, and a like is gone although its
//!   user was told it counted.
//! - *Clock skew.* A region whose clock runs ahead stamps its writes in the
//!   future. A later write elsewhere, made before it heard of the earlier
//!   one and stamped by a clock that is behind, looks older and is thrown
//!   away, though it happened later. (A write that *has* heard of the
//!   earlier one always stamps above it, so it wins.)
//!
//! The total is not a value that can be overwritten; it is a sum of
//! contributions, which is exactly what the grow-only counter replicates
//! instead.

use super::{path_text, Accepted, RefCtx, Reference, Refusal, Strategy, StrategyKind};
use crate::crdt::{Act, Dot};
use crate::kernel::{staggered, Ctx, Dots, Message, Millis, Tally, Timer};
use crate::region::RegionId;
use rand::Rng;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Register {
    total: u64,
    /// The writer's clock reading (may be negative, or in the future).
    ts: i64,
    origin: RegionId,
    /// Which likes, per origin, the total is made of (bookkeeping).
    tally: Tally,
    /// True time of the write (bookkeeping, for blaming skew).
    written_at: Millis,
    /// In a room of people's likes, the register is the whole set: the
    /// operations it is made of (empty for claps).
    dots: Dots,
}

impl Register {
    fn newer_than(&self, other: &Register) -> bool {
        (self.ts, self.origin) > (other.ts, other.origin)
    }

    fn message(&self) -> Message {
        Message::Total {
            total: self.total,
            ts: self.ts,
            origin: self.origin,
            tally: self.tally,
            written_at: self.written_at,
            dots: self.dots.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LastWriterWins {
    registers: Vec<Register>,
    resend_ms: Option<Millis>,
    skew_ms: Millis,
    next_resend: Vec<Option<Millis>>,
    skew_overwrites: u64,
    /// People's likes only: each region's operations so far, so each gets
    /// a dot of its own (a register overwritten does not give its numbers
    /// back).
    taken: Vec<u64>,
}

/// Each region's clock offset as a fraction of the skew, in catalog order:
/// Tokyo runs the full skew ahead, Frankfurt the full skew behind, the
/// others in between, so every pair of regions disagrees by a different
/// amount.
const CLOCK_SPREAD: [f64; RegionId::COUNT] = [1.0, -0.6, 0.2, -1.0, 0.6, -0.2];

impl LastWriterWins {
    /// Real clocks synchronised by NTP across regions disagree by a few
    /// milliseconds.
    pub const DEFAULT_SKEW_MS: Millis = 5;
    /// The largest skew a room accepts.
    pub const MAX_SKEW_MS: Millis = 10_000;

    pub fn new(resend_ms: Option<Millis>, skew_ms: Millis) -> Self {
        let zero =
            |r| Register { total: 0, ts: 0, origin: r, tally: Tally::default(), written_at: 0, dots: Dots::default() };
        LastWriterWins {
            registers: RegionId::all().map(zero).collect(),
            resend_ms,
            skew_ms,
            next_resend: vec![None; RegionId::COUNT],
            skew_overwrites: 0,
            taken: vec![0; RegionId::COUNT],
        }
    }

    /// How far `region`'s clock is from true time, in ms (positive: ahead).
    pub fn clock_offset(skew_ms: Millis, region: RegionId) -> i64 {
        (skew_ms as f64 * CLOCK_SPREAD[region.index()]).round() as i64
    }

    fn arm(&mut self, ctx: &mut Ctx, r: RegionId, first: bool) {
        if let Some(period) = self.resend_ms {
            let period = ctx.scaled(period);
            let after = if first { staggered(period, r) } else { period };
            ctx.set_timer(after, r, Timer::AntiEntropy);
            self.next_resend[r.index()] = Some(ctx.now() + after);
        }
    }

    /// The register every region will end on, as far as anyone knows now.
    fn winner(&self) -> &Register {
        self.registers.iter().fold(&self.registers[0], |w, r| if r.newer_than(w) { r } else { w })
    }

    /// Writes a new register at `region` on top of what it holds, and
    /// broadcasts it.
    fn write(&mut self, ctx: &mut Ctx, region: RegionId, dot: Option<Dot>) {
        let old = &self.registers[region.index()];
        let clock = ctx.now() as i64 + Self::clock_offset(self.skew_ms, region);
        let mut tally = old.tally;
        let mut dots = old.dots.clone();
        match dot {
            // Bookkeeping for a set: the highest operation per origin the
            // register holds (what a switch to another strategy starts from).
            Some(dot) => {
                tally.set(region, dot.n);
                std::sync::Arc::make_mut(&mut dots).insert(dot);
            }
            None => tally.add(region, 1),
        }
        let reg = Register {
            total: old.total + 1,
            ts: clock.max(old.ts + 1),
            origin: region,
            tally,
            written_at: ctx.now(),
            dots,
        };
        ctx.broadcast(region, &reg.message());
        self.registers[region.index()] = reg;
    }

    /// The operations `region`'s register is made of (people's likes).
    pub fn dots(&self, region: RegionId) -> &Dots {
        &self.registers[region.index()].dots
    }

    fn receive(&mut self, to: RegionId, incoming: Register) {
        let current = &self.registers[to.index()];
        if !incoming.newer_than(current) {
            return;
        }
        // The region's own newest write, replaced by one made earlier in
        // true time: only a clock running ahead can do that.
        if current.origin == to && current.total > 0 && incoming.written_at < current.written_at {
            self.skew_overwrites += 1;
        }
        self.registers[to.index()] = incoming;
    }
}

impl Strategy for LastWriterWins {
    fn kind(&self) -> StrategyKind {
        StrategyKind::LastWriterWins
    }

    fn clone_box(&self) -> Box<dyn Strategy> {
        Box::new(self.clone())
    }

    fn start(&mut self, ctx: &mut Ctx) {
        for r in RegionId::all() {
            self.arm(ctx, r, true);
        }
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        self.write(ctx, region, None);
        Ok(Accepted::Now)
    }

    fn act(&mut self, ctx: &mut Ctx, region: RegionId, act: Act) -> Result<Accepted, Refusal> {
        // A person's like or unlike rewrites the whole set: what this region
        // holds, plus the new operation — which a concurrent write elsewhere
        // may overwrite, just as it overwrites a total.
        let dot = match act {
            Act::Clap => None,
            Act::Like(_) | Act::Unlike(_) => {
                self.taken[region.index()] += 1;
                Some(Dot { region, n: self.taken[region.index()] })
            }
        };
        self.write(ctx, region, dot);
        Ok(Accepted::Now)
    }

    fn register_dots(&self, region: RegionId) -> Option<&Dots> {
        Some(&self.registers[region.index()].dots)
    }

    fn deliver(&mut self, _ctx: &mut Ctx, _from: RegionId, to: RegionId, msg: Message) {
        if let Message::Total { total, ts, origin, tally, written_at, dots } = msg {
            self.receive(to, Register { total, ts, origin, tally, written_at, dots });
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        if timer != Timer::AntiEntropy || self.resend_ms.is_none() {
            return;
        }
        let peers: Vec<RegionId> = RegionId::all().filter(|&p| p != region).collect();
        let peer = peers[ctx.rng().random_range(0..peers.len())];
        ctx.send(region, peer, self.registers[region.index()].message());
        self.arm(ctx, region, false);
    }

    fn numbered(&self, origin: RegionId) -> u64 {
        // Claps are not numbered: a write replaces the total. People's
        // likes and unlikes are, so each has a dot of its own.
        self.taken[origin.index()]
    }

    fn tally(&self, region: RegionId) -> Tally {
        self.registers[region.index()].tally
    }

    fn would_change(&self, _from: RegionId, to: RegionId, msg: &Message) -> bool {
        match *msg {
            Message::Total { ts, origin, .. } => {
                (ts, origin) > {
                    let cur = &self.registers[to.index()];
                    (cur.ts, cur.origin)
                }
            }
            _ => false,
        }
    }

    fn repairs(&self) -> bool {
        self.resend_ms.is_some()
    }

    fn crash(&mut self, _ctx: &mut Ctx, region: RegionId, durable: bool, in_flight: &[(RegionId, &Message)]) {
        if durable {
            return;
        }
        // It comes back with its register if that survives elsewhere (a peer
        // holds it, or it is still on the wire); otherwise with nothing, and
        // relearns the winner from the next register it hears. (A like taken
        // before that starts again from zero and, stamped now, overwrites
        // everything older: the hazard of a volatile last-writer-wins store.)
        let own = self.registers[region.index()].clone();
        let same = |r: &Register| (r.ts, r.origin) == (own.ts, own.origin);
        let on_wire = in_flight
            .iter()
            .any(|(_, m)| matches!(**m, Message::Total { ts, origin, .. } if (ts, origin) == (own.ts, own.origin)));
        let held = RegionId::all().filter(|&r| r != region).any(|r| same(&self.registers[r.index()]));
        if !(on_wire || held) {
            self.registers[region.index()] = Register {
                total: 0,
                ts: i64::MIN,
                origin: region,
                tally: Tally::default(),
                written_at: 0,
                dots: Dots::default(),
            };
        }
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm(ctx, region, false);
    }

    fn seed(&mut self, tallies: &[Tally]) {
        // The migration merges what the replicas held into one register,
        // so switching itself loses nothing.
        let tally = tallies.iter().fold(Tally::default(), |acc, t| acc.max(t));
        let first = RegionId::from_index(0).expect("catalog is not empty");
        // In a room of people's likes, every operation the replicas held
        // (each held an unbroken run per origin).
        let dots: Dots = std::sync::Arc::new(
            RegionId::all().flat_map(|o| (1..=tally.get(o)).map(move |n| Dot { region: o, n })).collect(),
        );
        self.taken = tally.slots().to_vec();
        let reg = Register { total: tally.sum(), ts: 0, origin: first, tally, written_at: 0, dots };
        self.registers = vec![reg; RegionId::COUNT];
    }

    fn reference(&self, _origin: RegionId, rc: &RefCtx) -> Option<Reference> {
        // Only the winning write has to reach everyone; it may be an older
        // one whose clock was ahead.
        let w = self.winner();
        let (d, far) = rc.farthest(w.origin)?;
        let start = w.written_at.min(rc.now);
        Some(Reference::new(start, 0, d, path_text(w.origin, far), "broadcast of the winning write"))
    }

    fn can_teach(&self, x: RegionId, r: RegionId) -> bool {
        // Only a newer register is taken (an older one is ignored), and it
        // changes what `r` shows only if it holds other likes.
        let (rx, rr) = (&self.registers[x.index()], &self.registers[r.index()]);
        rx.newer_than(rr) && rx.tally != rr.tally
    }

    fn references_replace(&self) -> bool {
        true
    }

    fn next_send(&self, region: RegionId, _now: Millis) -> Option<Millis> {
        self.next_resend[region.index()]
    }

    fn keeps_each_like(&self) -> bool {
        false
    }

    fn skew_overwrites(&self) -> u64 {
        self.skew_overwrites
    }
}
