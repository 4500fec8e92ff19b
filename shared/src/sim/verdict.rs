//! The verdict: how well the current strategy is doing, in numbers.
//!
//! - **Correctness.** Likes acknowledged to users, likes *in doubt* (answered
//!   "pending" and never confirmed), and — once the replicas agree — how many
//!   likes the agreed count lost or double counted. A correct strategy ends
//!   between `acknowledged` and `acknowledged + in_doubt`.
//! - **Speed.** Time from the last write (or heal, restart, switch) to
//!   convergence (the last change of any region's count, once they agree), against a lower bound: the shortest delivery delay over
//!   healthy links from the last write's origin to the farthest region, plus
//!   whatever the strategy must wait for (a sync or batch interval, counted
//!   in full: the worst phase, so a round that happens to fire right after
//!   the write can beat the bound, ratio < 1). And the
//!   *visibility latency* of each like: how long until every region showed
//!   it (a region shows like number `n` once its count is at least `n`,
//!   minus the likes crashes destroyed). Meaningless for last writer wins,
//!   whose counts fall below the truth for good.
//! - **Freshness.** Stale reads: each [`Simulation::record_read`] reads every
//!   live region once, and a read is stale when it is below the ground truth.
//! - **Cost.** Messages and bytes per acknowledged like.

use super::*;
use serde::{Deserialize, Serialize};

/// Visibility latency of likes, in simulated ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Visibility {
    /// Likes shown everywhere (among the most recent samples kept).
    pub samples: u64,
    pub p50_ms: Option<Millis>,
    pub p99_ms: Option<Millis>,
    pub max_ms: Option<Millis>,
    /// Acknowledged likes not yet shown in every region.
    pub unseen: u64,
}

/// How well the current strategy is doing: correctness (acknowledged, in
/// doubt, lost, double counted), speed (convergence time against its lower
/// bound, visibility latency), freshness (stale reads) and cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verdict {
    pub acknowledged: u64,
    /// Accepted "later" and not (yet) acknowledged.
    pub in_doubt: u64,
    pub refused: u64,
    /// Each region's count, in catalog order.
    pub values: Vec<u64>,
    /// Every region shows the same count.
    pub converged: bool,
    /// That count, when converged.
    pub converged_value: Option<u64>,
    /// Time from the last write/heal/restart/switch to convergence.
    pub convergence_ms: Option<Millis>,
    /// Theoretical lower bound of that time for the current configuration.
    pub bound_ms: Option<Millis>,
    /// `convergence_ms / bound_ms`.
    pub ratio: Option<f64>,
    /// Once converged: acknowledged likes missing from the agreed count.
    pub lost: u64,
    /// Once converged: likes counted beyond `acknowledged + in_doubt`.
    pub double_counted: u64,
    /// Acknowledged likes destroyed by volatile crashes.
    pub lost_in_crashes: u64,
    pub visibility: Visibility,
    /// Region reads recorded with [`Simulation::record_read`].
    pub reads: u64,
    /// Of those, reads below the ground truth.
    pub stale_reads: u64,
    pub messages_per_like: Option<f64>,
    pub bytes_per_like: Option<f64>,
    /// Bytes a delta strategy saved against full states.
    pub bytes_saved: u64,
    pub durable: bool,
}

/// The most recent `capacity` samples, kept both in arrival order (to evict
/// the oldest) and sorted (so percentiles need no sort). A frame is built up
/// to 30 times a second per room while samples arrive far less often, so
/// paying on insert instead of on every read is the cheap side.
#[derive(Debug, Clone, Default)]
pub(crate) struct SampleWindow {
    capacity: usize,
    arrivals: std::collections::VecDeque<Millis>,
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

fn percentile(sorted: &[Millis], p: f64) -> Option<Millis> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

impl Simulation {
    /// Records one read of every live region at the current time (the server
    /// calls it once per published frame), for the stale-read count. It
    /// does not bump the version: reading is not a change.
    pub fn record_read(&mut self) {
        for r in RegionId::all().filter(|r| !self.crashed[r.index()]) {
            self.reads += 1;
            if self.read(r) < self.truth.total {
                self.stale_reads += 1;
            }
        }
    }

    /// Shortest delivery delay (base link delays, no jitter) from `from` to
    /// `to` over links that are not cut, through regions that are up.
    pub fn shortest_delay(&self, from: RegionId, to: RegionId) -> Option<Millis> {
        let n = RegionId::COUNT;
        let mut dist: Vec<Option<Millis>> = vec![None; n];
        let mut done = vec![false; n];
        if self.crashed[from.index()] {
            return None;
        }
        dist[from.index()] = Some(0);
        loop {
            let next = (0..n).filter(|&i| !done[i]).filter_map(|i| dist[i].map(|d| (d, i))).min();
            let Some((d, i)) = next else { break };
            done[i] = true;
            let a = RegionId::from_index(i).expect("index in catalog");
            for b in RegionId::all().filter(|b| !done[b.index()] && !self.crashed[b.index()]) {
                let link = self.net.link(a, b);
                if link.cut {
                    continue;
                }
                let nd = d + Millis::from(link.latency_ms);
                if dist[b.index()].is_none_or(|old| nd < old) {
                    dist[b.index()] = Some(nd);
                }
            }
        }
        dist[to.index()]
    }

    /// The lower bound on convergence time after a like at `origin`.
    pub fn convergence_bound(&self, origin: RegionId) -> Option<Millis> {
        let dist = |a: RegionId, b: RegionId| self.shortest_delay(a, b);
        let b = BoundCtx { time_scale: self.config.time_scale, dist: &dist };
        self.strategy.convergence_bound(origin, &b)
    }

    /// The verdict on the current strategy, right now.
    pub fn verdict(&self) -> Verdict {
        let values: Vec<u64> = RegionId::all().map(|r| self.read(r)).collect();
        let in_doubt = self.accepted_later.saturating_sub(self.acked_later);
        let acknowledged = self.truth.total;
        let converged = matches!(self.consistency, Consistency::Converged { .. });
        let converged_value = converged.then(|| values.first().copied().unwrap_or(0));
        // Settled at the last change of any region's count after the
        // disturbance (zero if nothing had to change).
        let convergence_ms = match self.last_disturbance_at {
            Some(d) if converged => Some(self.last_change_at.max(d) - d),
            _ => None,
        };
        let bound_ms = self.last_write_origin.and_then(|o| self.convergence_bound(o));
        let ratio = match (convergence_ms, bound_ms) {
            (Some(m), Some(b)) if b > 0 => Some(m as f64 / b as f64),
            _ => None,
        };
        let (lost, double_counted) = match converged_value {
            Some(v) => (acknowledged.saturating_sub(v), v.saturating_sub(acknowledged + in_doubt)),
            None => (0, 0),
        };
        let sorted = self.visibility.sorted();
        let visibility = Visibility {
            samples: sorted.len() as u64,
            p50_ms: percentile(sorted, 0.5),
            p99_ms: percentile(sorted, 0.99),
            max_ms: sorted.last().copied(),
            unseen: self.unseen.len() as u64,
        };
        let stats = self.net.stats();
        let per_like = |x: u64| (acknowledged > 0).then(|| x as f64 / acknowledged as f64);
        Verdict {
            acknowledged,
            in_doubt,
            refused: self.truth.refused,
            values,
            converged,
            converged_value,
            convergence_ms,
            bound_ms,
            ratio,
            lost,
            double_counted,
            lost_in_crashes: self.lost_in_crashes,
            visibility,
            reads: self.reads,
            stale_reads: self.stale_reads,
            messages_per_like: per_like(stats.messages),
            bytes_per_like: per_like(stats.bytes),
            bytes_saved: self.strategy.bytes_saved(),
            durable: self.config.durable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SampleWindow;

    #[test]
    fn sample_window_keeps_the_latest_samples_sorted() {
        let mut w = SampleWindow::new(3);
        for x in [50, 10, 30, 10, 70] {
            w.push(x);
        }
        // 50 and the first 10 were evicted, oldest first.
        assert_eq!(w.sorted(), &[10, 30, 70]);
    }
}
