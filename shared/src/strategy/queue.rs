//! Queue + batch writer: a central database and per-region read models
//! (the shape of a CQRS read side fed by a batch job).
//!
//! **How it works.** A like is acknowledged as soon as it is on its region's
//! queue. Every `batch_ms` — on the same boundaries everywhere — two things
//! happen:
//! 1. the batch job, which lives in one `writer` region, commits everything
//!    that reached it from the queues since the last boundary into the
//!    database and publishes the new database state to every region;
//! 2. every region's queue ships what the database has not confirmed yet to
//!    the writer (`Drain { origin, upto }`, one message, crossing the link).
//!
//! Each region shows its *read model*: the last database state published to
//! it. So counts move only at batch boundaries (plus the link delay of the
//! publication), never on a click — not even the clicking region's own count.
//! A like therefore waits for the next boundary to leave its queue, travels
//! to the writer, waits for the boundary after it arrives to be committed,
//! and travels to every read model: that is its timing reference.
//!
//! **Guarantee.** There is one writer, so there is nothing to reconcile. The
//! database is per-origin ("origin r has at least n likes"), so a duplicated
//! or repeated drain changes nothing, and a queue keeps shipping until the
//! published database confirms its likes: nothing is lost or double counted,
//! and every region ends on the database's count.
//!
//! **Failure mode.** Staleness by design (up to two batch intervals plus two
//! link delays), and a single point of failure: while the writer region is
//! down or cut off, likes keep queueing but no count moves anywhere.

use super::{Accepted, Pending, RefCtx, Reference, Refusal, Stage, Strategy, StrategyKind};
use crate::crdt::GCounter;
use crate::kernel::{Ctx, Message, Millis, Tally, Timer};
use crate::region::RegionId;

#[derive(Debug, Clone)]
pub struct QueueBatch {
    batch_ms: Millis,
    writer: RegionId,
    /// Likes each region's queue has accepted (its own sequence).
    queued: Vec<u64>,
    /// Drains received by the writer, not yet committed.
    staging: GCounter,
    /// The database, at the writer.
    database: GCounter,
    /// Each region's read model: the last database state it received.
    read_model: Vec<GCounter>,
    /// The next batch boundary (scaled period).
    period: Millis,
}

impl QueueBatch {
    pub const DEFAULT_BATCH_MS: Millis = 3_000;
    pub const MIN_BATCH_MS: Millis = 100;
    pub const MAX_BATCH_MS: Millis = 60_000;

    pub fn new(batch_ms: Millis, writer: RegionId) -> Self {
        QueueBatch {
            batch_ms: batch_ms.clamp(Self::MIN_BATCH_MS, Self::MAX_BATCH_MS),
            writer,
            queued: vec![0; RegionId::COUNT],
            staging: GCounter::new(),
            database: GCounter::new(),
            read_model: vec![GCounter::new(); RegionId::COUNT],
            period: batch_ms,
        }
    }

    /// The database's count (at the writer).
    pub fn database(&self) -> u64 {
        self.database.value()
    }

    pub fn writer(&self) -> RegionId {
        self.writer
    }

    /// The first batch boundary strictly after `t`.
    fn boundary_after(&self, t: Millis) -> Millis {
        (t / self.period + 1) * self.period
    }

    /// Arms `r`'s timer at the next batch boundary (a multiple of the period).
    fn arm(&mut self, ctx: &mut Ctx, r: RegionId) {
        self.period = ctx.scaled(self.batch_ms);
        let next = self.boundary_after(ctx.now());
        ctx.set_timer(next - ctx.now(), r, Timer::Batch);
    }

    /// Likes on the queues that the database does not hold yet.
    fn uncommitted(&self) -> u64 {
        RegionId::all().map(|r| self.queued[r.index()].saturating_sub(self.database.get(r))).sum()
    }
}

impl Strategy for QueueBatch {
    fn kind(&self) -> StrategyKind {
        StrategyKind::QueueBatch
    }

    fn clone_box(&self) -> Box<dyn Strategy> {
        Box::new(self.clone())
    }

    fn start(&mut self, ctx: &mut Ctx) {
        // The writer first, so at a boundary it commits before the queues ship.
        self.arm(ctx, self.writer);
        let writer = self.writer;
        for r in RegionId::all().filter(|&r| r != writer) {
            self.arm(ctx, r);
        }
    }

    fn like(&mut self, _ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        self.queued[region.index()] += 1;
        Ok(Accepted::Now)
    }

    fn deliver(&mut self, _ctx: &mut Ctx, _from: RegionId, to: RegionId, msg: Message) {
        match msg {
            Message::Drain { origin, upto } if to == self.writer => {
                self.staging.observe(origin, upto);
            }
            Message::State(db) => {
                self.read_model[to.index()].merge(&db);
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        if timer != Timer::Batch {
            return;
        }
        let r = region.index();
        if region == self.writer {
            // The batch job: commit, then publish.
            self.database.merge(&self.staging);
            let db = self.database.clone();
            self.read_model[r].merge(&db);
            ctx.broadcast(region, &Message::State(db));
        }
        // This region's queue ships what the database has not confirmed.
        let upto = self.queued[r];
        if upto > self.read_model[r].get(region) {
            ctx.for_likes();
            if region == self.writer {
                self.staging.observe(region, upto);
            } else {
                ctx.send(region, self.writer, Message::Drain { origin: region, upto });
            }
        }
        self.arm(ctx, region);
    }

    fn stages(&self) -> Vec<Stage> {
        vec![
            Stage {
                label: "On the queues".into(),
                count: self.queued.iter().sum(),
                note: "acknowledged to users at once".into(),
            },
            Stage {
                label: "In the database".into(),
                count: self.database.value(),
                note: format!(
                    "written in {} by a batch every {} s",
                    self.writer.info().city,
                    self.batch_ms as f64 / 1000.0
                ),
            },
        ]
    }

    fn numbered(&self, origin: RegionId) -> u64 {
        self.queued[origin.index()]
    }

    fn holdings(&self, region: RegionId) -> Tally {
        // A region holds its read model and its queue; the writer also the
        // database and what is staged for the next commit.
        let mut t = self.tally(region);
        if region == self.writer {
            t = t.max(&Tally::from_slots(self.database.slots())).max(&Tally::from_slots(self.staging.slots()));
        }
        t.set(region, t.get(region).max(self.queued[region.index()]));
        t
    }

    fn tally(&self, region: RegionId) -> Tally {
        Tally::from_slots(self.read_model[region.index()].slots())
    }

    fn would_change(&self, _from: RegionId, to: RegionId, msg: &Message) -> bool {
        match msg {
            Message::Drain { origin, upto } => to == self.writer && *upto > self.staging.get(*origin),
            Message::State(db) => !self.read_model[to.index()].dominates(db),
            _ => false,
        }
    }

    fn pending(&self) -> Vec<Pending> {
        match self.uncommitted() {
            0 => Vec::new(),
            n => vec![Pending {
                count: n,
                what: format!(
                    "{} on the queues, waiting for the {} s batch in {}",
                    super::likes(n),
                    self.period as f64 / 1000.0,
                    self.writer.info().city
                ),
            }],
        }
    }

    fn repairs(&self) -> bool {
        true
    }

    fn crash(&mut self, _ctx: &mut Ctx, region: RegionId, durable: bool, in_flight: &[(RegionId, &Message)]) {
        if durable {
            return;
        }
        let r = region.index();
        // The queue keeps what left it: what the database or the staging
        // area holds of it, or a drain still on its way.
        let drained =
            in_flight.iter().filter(|(from, _)| *from == region).map(|(_, m)| m.knows(region)).max().unwrap_or(0);
        // (The writer's own staging area dies with it.)
        let staged = if region == self.writer { 0 } else { self.staging.get(region) };
        let kept = self.database.get(region).max(staged).max(drained);
        self.queued[r] = self.queued[r].min(kept);
        // The read model is a copy of (part of) the durable database: what
        // it held survives there, so it comes back as it was.
        if region == self.writer {
            // The database is durable; the uncommitted staging area is not:
            // of what it staged, it keeps what the queues still hold (they
            // re-ship whatever the database does not confirm anyway).
            let staged: Vec<u64> = RegionId::all()
                .map(|o| {
                    let drained =
                        in_flight.iter().filter(|(from, _)| *from == o).map(|(_, m)| m.knows(o)).max().unwrap_or(0);
                    let queue = if o == region { 0 } else { self.queued[o.index()] };
                    let elsewhere = self.database.get(o).max(queue).max(drained);
                    self.staging.get(o).min(elsewhere).max(self.database.get(o))
                })
                .collect();
            self.staging = GCounter::from_slots(staged);
        }
    }

    fn durable_state(&self, region: RegionId) -> Tally {
        if region == self.writer {
            Tally::from_slots(self.database.slots())
        } else {
            Tally::default()
        }
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm(ctx, region);
    }

    fn seed(&mut self, tallies: &[Tally]) {
        let db = tallies.iter().fold(Tally::default(), |acc, t| acc.max(t));
        self.database = GCounter::from_slots(db.slots().iter().copied());
        self.staging = self.database.clone();
        self.queued = db.slots().to_vec();
        self.read_model = tallies.iter().map(|t| GCounter::from_slots(t.slots().iter().copied())).collect();
    }

    fn reference(&self, origin: RegionId, rc: &RefCtx) -> Option<Reference> {
        // Ship at the next boundary; reach the writer; committed at the
        // first boundary after it arrives (the writer's own likes, staged
        // just after that boundary's commit, wait one more); published to
        // the farthest read model.
        let ship = self.boundary_after(rc.now);
        let to_writer = rc.dist(origin, self.writer)?;
        let commit = if origin == self.writer {
            ship + self.period
        } else {
            (ship + to_writer).div_ceil(self.period) * self.period
        };
        let (publish, far) = rc.farthest(self.writer)?;
        let propagation = to_writer + publish;
        let path = format!("{} → {} (writer) → {}", origin.info().city, self.writer.info().city, far.info().city);
        Some(Reference::new(rc.now, commit - rc.now - to_writer, propagation, path, "batch"))
    }

    fn next_send(&self, _region: RegionId, now: Millis) -> Option<Millis> {
        // Every region acts on the same boundaries.
        Some(self.boundary_after(now))
    }
}
