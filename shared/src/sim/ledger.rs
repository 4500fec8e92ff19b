//! The ledger: the ground truth and every measurement, kept apart from the
//! replicas they judge.
//!
//! The simulation feeds it events from one place (a like taken, a pending
//! like settled, a replica's count changed, a crash destroyed likes, the
//! strategy switched, time passed) and the ledger never looks inside a
//! strategy. What it keeps:
//! - **per origin**: likes acknowledged, in doubt and refused at each
//!   region, because losses and duplicates are judged origin by origin and
//!   must not cancel out in a total;
//! - **visibility**: for each like, when every live region first showed it;
//! - **stale reads**: each live region read every 100 ms of simulated time;
//! - **the episode** since the room last settled: when it was disturbed, the
//!   timing reference, and the last change of any replica;
//! - **history that survives a switch**: likes destroyed in crashes, and
//!   what the last switch did.

use crate::kernel::{Millis, Tally};
use crate::region::RegionId;
use crate::strategy::{Reference, StrategyKind};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many visibility samples are kept (the most recent).
pub const MAX_VISIBILITY_SAMPLES: usize = 4_096;
/// How many likes per origin are followed until they show everywhere; a
/// like beyond that is not timed (a flood cannot grow the ledger).
pub const MAX_UNSEEN_PER_ORIGIN: usize = 4_096;
/// Stale reads are sampled on this grid of simulated time.
pub const READ_EVERY_MS: Millis = 100;

/// The ground truth: what users were told.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Truth {
    /// Likes acknowledged to users, all regions.
    pub total: u64,
    /// Likes acknowledged per origin region, in catalog order.
    pub per_region: Vec<u64>,
    /// Likes refused, all regions.
    pub refused: u64,
    /// Likes answered "pending" and not yet acknowledged or refused, per
    /// origin region.
    #[serde(default)]
    pub in_doubt: Vec<u64>,
}

/// The last change of any replica's count: what made it, and how long its
/// message took against its link's base delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub at: Millis,
    pub region: RegionId,
    /// The message label that brought it ("like", "state", ...), or what
    /// happened locally ("local", "crash", "switch").
    pub by: String,
    /// The sender, for a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<RegionId>,
    /// How long the message travelled, and the link's base delay then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_ms: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_ms: Option<Millis>,
}

/// What the last strategy switch did, for everyone in the room to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchNote {
    pub at: Millis,
    pub from: StrategyKind,
    pub to: StrategyKind,
    /// Messages of the old protocol that were on the wire and were dropped.
    pub dropped_messages: u64,
    /// Likes in doubt under the old strategy that ended acknowledged / refused.
    pub resolved_acknowledged: u64,
    pub resolved_refused: u64,
}

/// The most recent `capacity` samples, kept both in arrival order (to evict
/// the oldest) and sorted (so percentiles need no sort). A frame is built up
/// to 30 times a second per room while samples arrive far less often, so
/// paying on insert instead of on every read is the cheap side.
#[derive(Debug, Clone, Default)]
pub(crate) struct SampleWindow {
    capacity: usize,
    arrivals: VecDeque<Millis>,
    sorted: Vec<Millis>,
}

impl SampleWindow {
    pub(crate) fn new(capacity: usize) -> Self {
        SampleWindow { capacity, ..SampleWindow::default() }
    }

    pub(crate) fn push(&mut self, sample: Millis) {
        if self.arrivals.len() >= self.capacity {
            if let Some(oldest) = self.arrivals.pop_front() {
                if let Ok(i) = self.sorted.binary_search(&oldest) {
                    self.sorted.remove(i);
                }
            }
        }
        self.arrivals.push_back(sample);
        let at = self.sorted.partition_point(|&x| x <= sample);
        self.sorted.insert(at, sample);
    }

    pub(crate) fn sorted(&self) -> &[Millis] {
        &self.sorted
    }
}

/// The episode's timing references (see [`Reference`]): the latest like's
/// per origin — a later like from the same origin carries every earlier one
/// (a push or a forward names every like up to it; a round or a batch takes
/// them all), so it replaces theirs — and the reference of the last heal,
/// restart or switch. The episode's reference is the latest of them, or
/// none if any of them could not be computed (a region was unreachable).
#[derive(Debug, Clone, Default)]
pub(crate) struct References {
    per_origin: Vec<Option<Option<Reference>>>,
    repair: Option<Option<Reference>>,
}

impl References {
    /// A like at `origin` with this reference; `replace_all` when the newest
    /// write is the only one that matters (last writer wins).
    pub(crate) fn like(&mut self, origin: RegionId, reference: Option<Reference>, replace_all: bool) {
        if replace_all {
            *self = References::default();
        }
        if self.per_origin.len() < RegionId::COUNT {
            self.per_origin.resize(RegionId::COUNT, None);
        }
        self.per_origin[origin.index()] = Some(reference);
    }

    /// The network changed (a heal, a restart, a switch, a faster link):
    /// earlier references may be too late to be a floor, so only the repair
    /// reference computed from now stands.
    pub(crate) fn repair(&mut self, reference: Option<Reference>) {
        *self = References { per_origin: Vec::new(), repair: Some(reference) };
    }

    pub(crate) fn clear(&mut self) {
        *self = References::default();
    }

    /// The episode's reference.
    pub(crate) fn current(&self) -> Option<Reference> {
        let all = self.per_origin.iter().flatten().chain(self.repair.iter());
        let mut latest: Option<&Reference> = None;
        for r in all {
            let r = r.as_ref()?;
            if latest.is_none_or(|l| r.at > l.at) {
                latest = Some(r);
            }
        }
        latest.cloned()
    }
}

/// The ledger itself (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    pub(crate) truth: Truth,
    /// Per origin: the number (in the strategy's own numbering) of the last
    /// like taken there, and the likes not yet shown everywhere as
    /// `(number, taken at)`.
    numbered: Vec<u64>,
    unseen: Vec<VecDeque<(u64, Millis)>>,
    pub(crate) visibility: SampleWindow,
    /// Whether visibility is defined under the running strategy.
    pub(crate) per_like: bool,
    pub(crate) reads: u64,
    pub(crate) stale_reads: u64,
    read_until: Millis,
    /// Likes taken (acknowledged or pending) since the strategy started,
    /// and when it started: the denominators of the cost figures.
    pub(crate) likes_since_switch: u64,
    pub(crate) strategy_since: Millis,
    /// Acknowledged likes destroyed by volatile crashes, ever.
    pub(crate) destroyed_in_crashes: u64,
    pub(crate) last_switch: Option<SwitchNote>,
    /// The episode since the room last settled.
    pub(crate) disturbed_at: Option<Millis>,
    /// What that was: "the last like", "a heal", "a restart", "the switch".
    pub(crate) disturbed_by: &'static str,
    pub(crate) references: References,
    pub(crate) last_change: Option<Change>,
}

impl Ledger {
    pub(crate) fn new() -> Ledger {
        Ledger {
            truth: Truth {
                per_region: vec![0; RegionId::COUNT],
                in_doubt: vec![0; RegionId::COUNT],
                ..Truth::default()
            },
            numbered: vec![0; RegionId::COUNT],
            unseen: vec![VecDeque::new(); RegionId::COUNT],
            visibility: SampleWindow::new(MAX_VISIBILITY_SAMPLES),
            per_like: true,
            reads: 0,
            stale_reads: 0,
            read_until: 0,
            likes_since_switch: 0,
            strategy_since: 0,
            destroyed_in_crashes: 0,
            last_switch: None,
            disturbed_at: None,
            disturbed_by: "the last like",
            references: References::default(),
            last_change: None,
        }
    }

    /// A like was taken at `origin` at `now`, acknowledged at once or not.
    pub(crate) fn taken(&mut self, origin: RegionId, now: Millis, acknowledged: bool) {
        let o = origin.index();
        if acknowledged {
            self.truth.total += 1;
            self.truth.per_region[o] += 1;
        } else {
            self.truth.in_doubt[o] += 1;
        }
        self.likes_since_switch += 1;
        self.numbered[o] += 1;
        if self.per_like && self.unseen[o].len() < MAX_UNSEEN_PER_ORIGIN {
            self.unseen[o].push_back((self.numbered[o], now));
        }
    }

    pub(crate) fn refused_now(&mut self) {
        self.truth.refused += 1;
    }

    /// A like answered "pending" at `origin` ended acknowledged.
    pub(crate) fn acknowledged_later(&mut self, origin: RegionId) {
        let o = origin.index();
        self.truth.in_doubt[o] = self.truth.in_doubt[o].saturating_sub(1);
        self.truth.total += 1;
        self.truth.per_region[o] += 1;
    }

    /// A like answered "pending" at `origin` ended refused.
    pub(crate) fn refused_later(&mut self, origin: RegionId) {
        let o = origin.index();
        self.truth.in_doubt[o] = self.truth.in_doubt[o].saturating_sub(1);
        self.truth.refused += 1;
    }

    /// The strategy's numbering of `origin`'s likes now ends at `numbered`
    /// (after a crash destroyed some, or a switch renumbered them): likes
    /// beyond it will never show and are no longer followed.
    pub(crate) fn renumber(&mut self, origin: RegionId, numbered: u64) {
        let o = origin.index();
        self.numbered[o] = numbered;
        self.unseen[o].retain(|&(n, _)| n <= numbered);
    }

    /// Times the likes that every live region now shows.
    pub(crate) fn see(&mut self, shown_everywhere: &Tally, now: Millis) {
        for origin in RegionId::all() {
            let queue = &mut self.unseen[origin.index()];
            while let Some(&(n, at)) = queue.front() {
                if n > shown_everywhere.get(origin) {
                    break;
                }
                queue.pop_front();
                self.visibility.push(now.saturating_sub(at));
            }
        }
    }

    /// Likes taken and not yet shown in every live region.
    pub(crate) fn unseen(&self) -> u64 {
        self.unseen.iter().map(|q| q.len() as u64).sum()
    }

    /// Samples stale reads on the 100 ms grid up to `until` (exclusive),
    /// with the replica counts as they are: nothing changes between events.
    /// Whether a grid point lies in `[read_until, until)`.
    pub(crate) fn reads_due(&self, until: Millis) -> bool {
        until.div_ceil(READ_EVERY_MS) > self.read_until.div_ceil(READ_EVERY_MS)
    }

    pub(crate) fn sample_reads(&mut self, until: Millis, reads: impl Iterator<Item = u64> + Clone) {
        if until <= self.read_until {
            return;
        }
        // Grid points in [read_until, until).
        let first = self.read_until.div_ceil(READ_EVERY_MS);
        let last = until.div_ceil(READ_EVERY_MS);
        let points = last.saturating_sub(first);
        self.read_until = until;
        if points == 0 {
            return;
        }
        let truth = self.truth.total;
        let (live, stale) = reads.fold((0u64, 0u64), |(l, s), v| (l + 1, s + u64::from(v < truth)));
        self.reads += points * live;
        self.stale_reads += points * stale;
    }

    /// A new strategy starts: measurements that describe one strategy
    /// (visibility, stale reads, cost) start afresh; the truth, the likes
    /// destroyed in crashes and the judgement of lost likes do not.
    pub(crate) fn switched(&mut self, now: Millis, per_like: bool, numbered: impl Fn(RegionId) -> u64) {
        self.visibility = SampleWindow::new(MAX_VISIBILITY_SAMPLES);
        self.per_like = per_like;
        for r in RegionId::all() {
            self.unseen[r.index()].clear();
            self.numbered[r.index()] = numbered(r);
        }
        self.reads = 0;
        self.stale_reads = 0;
        self.likes_since_switch = 0;
        self.strategy_since = now;
    }

    /// Something that can move replica counts happened at `now`.
    pub(crate) fn disturb(&mut self, now: Millis, by: &'static str) {
        self.disturbed_at = Some(now);
        self.disturbed_by = by;
    }
}
