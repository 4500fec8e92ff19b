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
//!
//! **Guarantee.** There is one writer, so there is nothing to reconcile. The
//! database is per-origin ("origin r has at least n likes"), so a duplicated
//! or repeated drain changes nothing, and a queue keeps shipping until the
//! published database confirms its likes: nothing is lost or double counted,
//! and every region ends on the database's count.
//!
//! **Failure mode.** Staleness by design (a full batch interval plus two
//! link delays), and a single point of failure: while the writer region is
//! down or cut off, likes keep queueing but no count moves anywhere.

use super::{Accepted, BoundCtx, Ctx, Message, Refusal, Stage, Strategy, StrategyKind, Timer};
use crate::crdt::GCounter;
use crate::region::RegionId;
use crate::sim::Millis;

#[derive(Debug, Clone)]
pub struct QueueBatch {
    batch_ms: Millis,
    writer: RegionId,
    /// Likes each region's queue has accepted (its own sequence).
    queued: Vec<u64>,
    /// Highest queued like each region has put on the wire.
    shipped: Vec<u64>,
    /// Drains received by the writer, not yet committed.
    staging: GCounter,
    /// The database, at the writer.
    database: GCounter,
    /// Each region's read model: the last database state it received.
    read_model: Vec<GCounter>,
    /// How many commits changed the database (for tests and display).
    commits: u64,
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
            shipped: vec![0; RegionId::COUNT],
            staging: GCounter::new(),
            database: GCounter::new(),
            read_model: vec![GCounter::new(); RegionId::COUNT],
            commits: 0,
        }
    }

    /// The database's count (at the writer).
    pub fn database(&self) -> u64 {
        self.database.value()
    }

    pub fn writer(&self) -> RegionId {
        self.writer
    }

    /// Arms `r`'s timer at the next batch boundary (a multiple of the period).
    fn arm(&self, ctx: &mut Ctx, r: RegionId) {
        let period = ctx.scaled(self.batch_ms);
        let next = (ctx.now() / period + 1) * period;
        ctx.set_timer(next - ctx.now(), r, Timer::Batch);
    }
}

impl Strategy for QueueBatch {
    fn kind(&self) -> StrategyKind {
        StrategyKind::QueueBatch
    }

    fn start(&mut self, ctx: &mut Ctx) {
        // The writer first, so at a boundary it commits before the queues ship.
        self.arm(ctx, self.writer);
        for r in RegionId::all().filter(|&r| r != self.writer) {
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
            if self.database.merge(&self.staging) > 0 {
                self.commits += 1;
            }
            let db = self.database.clone();
            self.read_model[r].merge(&db);
            ctx.broadcast(region, &Message::State(db));
        }
        // This region's queue ships what the database has not confirmed.
        let upto = self.queued[r];
        if upto > self.read_model[r].get(region) {
            if region == self.writer {
                self.staging.observe(region, upto);
                self.shipped[r] = upto;
            } else if ctx.send(region, self.writer, Message::Drain { origin: region, upto }) {
                self.shipped[r] = self.shipped[r].max(upto);
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

    fn read(&self, region: RegionId) -> u64 {
        self.read_model[region.index()].value()
    }

    fn crash(&mut self, region: RegionId, durable: bool) -> u64 {
        if durable {
            return 0;
        }
        let r = region.index();
        // The queue loses what it never shipped; the read model is a cache.
        let confirmed = self.read_model[r].get(region).max(self.shipped[r]);
        let lost = self.queued[r].saturating_sub(confirmed);
        self.queued[r] -= lost;
        self.read_model[r] = GCounter::new();
        if region == self.writer {
            // The database is durable; the uncommitted staging area is not.
            // Queues re-ship whatever the database does not confirm.
            self.staging = self.database.clone();
            self.read_model[r] = self.database.clone();
        }
        lost
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.arm(ctx, region);
    }

    fn seed(&mut self, per_region: &[u64]) {
        let db = GCounter::from_slots(per_region.iter().copied());
        self.queued = per_region.to_vec();
        self.shipped = per_region.to_vec();
        self.staging = db.clone();
        self.read_model = vec![db.clone(); RegionId::COUNT];
        self.database = db;
    }

    fn convergence_bound(&self, origin: RegionId, b: &BoundCtx) -> Option<Millis> {
        // Ship at a boundary, reach the writer, wait for a *later* boundary
        // to commit, then publish to the farthest region.
        let period = b.scaled(self.batch_ms);
        let to_writer = (b.dist)(origin, self.writer)?;
        let commit_wait = to_writer.div_ceil(period).max(1) * period;
        Some(commit_wait + b.farthest(self.writer)?)
    }
}
