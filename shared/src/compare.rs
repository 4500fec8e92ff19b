//! One fixed, seeded workload run under every strategy, side by side.
//!
//! The workload: a *celebrity burst* — likes from every region, one every
//! 25 ms for 3 s — on a network that loses and duplicates 10% of messages;
//! then the world splits in two (Tokyo, Sydney, Mumbai | Frankfurt, Virginia,
//! São Paulo) for 5 s; for the first 3 s of it likes keep coming at 10 per
//! second, three in four on the Asian side (an even split would let the two
//! halves reach the same total by coincidence and hide what last writer wins
//! does); then the partition heals and the room runs for another minute. A viewer "reads"
//! every region every 100 ms throughout (for the stale-read count).
//!
//! The table is computed straight on the [`Simulation`], so it is exactly
//! what the lab shows, and deterministic: the same build always prints the
//! same numbers.

use crate::region::RegionId;
use crate::sim::{Millis, SimConfig, Simulation, Verdict};
use crate::strategy::{BackgroundSync, EventPush, StrategyConfig, StrategyKind};
use serde::{Deserialize, Serialize};

/// One strategy's results on the workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// Strategy name and notable knobs.
    pub strategy: String,
    pub config: StrategyConfig,
    /// Likes acknowledged to users.
    pub acknowledged: u64,
    pub refused: u64,
    pub in_doubt: u64,
    /// Time from the heal (or last like) to convergence; `None` if never.
    pub convergence_ms: Option<Millis>,
    pub bound_ms: Option<Millis>,
    pub ratio: Option<f64>,
    pub lost: u64,
    pub double_counted: u64,
    pub stale_reads: u64,
    pub reads: u64,
    pub visibility_p50_ms: Option<Millis>,
    pub visibility_p99_ms: Option<Millis>,
    pub messages_per_like: Option<f64>,
    pub bytes_per_like: Option<f64>,
    /// The final count in each region.
    pub values: Vec<u64>,
}

/// The configurations compared: every strategy's defaults, each followed
/// by the variants whose effect is the lesson (retries, no de-duplication,
/// deltas).
pub fn configs() -> Vec<(String, StrategyConfig)> {
    StrategyKind::ALL
        .iter()
        .flat_map(|&kind| {
            let default = (kind.info().name.to_owned(), StrategyConfig::default_for(kind));
            std::iter::once(default).chain(variants(kind))
        })
        .collect()
}

/// The non-default configurations of `kind` worth a row of their own.
fn variants(kind: StrategyKind) -> Vec<(String, StrategyConfig)> {
    let anti_entropy_ms = Some(EventPush::DEFAULT_ANTI_ENTROPY_MS);
    match kind {
        StrategyKind::EventPush => vec![
            (
                "Event push, at-least-once (retries)".to_owned(),
                StrategyConfig::EventPush {
                    anti_entropy_ms,
                    retry_ms: Some(EventPush::DEFAULT_RETRY_MS),
                    dedupe: true,
                },
            ),
            (
                "Event push, no de-duplication".to_owned(),
                StrategyConfig::EventPush { anti_entropy_ms, retry_ms: None, dedupe: false },
            ),
        ],
        StrategyKind::BackgroundSync => vec![(
            "Background sync, deltas".to_owned(),
            StrategyConfig::BackgroundSync { interval_ms: BackgroundSync::DEFAULT_INTERVAL_MS, delta: true },
        )],
        _ => Vec::new(),
    }
}

/// Seed of the workload.
pub const COMPARE_SEED: u64 = 0x11CE_C0DE;

/// Runs the workload under one configuration and returns the final verdict.
pub fn run_workload(config: StrategyConfig, seed: u64) -> Verdict {
    let mut sim = Simulation::new(SimConfig { seed, strategy: config, ..SimConfig::default() });
    sim.set_all_links(0.1, 0.1, None);
    let east = ["tokyo", "sydney", "mumbai"].map(|r| RegionId::parse(r).expect("catalog region"));
    let west = ["frankfurt", "virginia", "saopaulo"].map(|r| RegionId::parse(r).expect("catalog region"));
    const BURST_END: Millis = 3_000;
    const HEAL_AT: Millis = 8_000;
    const END: Millis = HEAL_AT + 60_000;
    let mut i = 0usize;
    let mut t: Millis = 0;
    while t <= END {
        if t == BURST_END {
            for a in east {
                for b in west {
                    sim.cut(a, b);
                }
            }
        }
        if t == HEAL_AT {
            sim.heal_all();
        }
        let like_now = if t < BURST_END { t.is_multiple_of(25) } else { t < HEAL_AT - 2_000 && t.is_multiple_of(100) };
        if like_now {
            // During the partition: Tokyo, Sydney, Mumbai, Frankfurt in turn.
            let spread = if t < BURST_END { RegionId::COUNT } else { 4 };
            let _ = sim.like(RegionId::from_index(i % spread).expect("index in catalog"), t);
            i += 1;
        } else {
            sim.advance(t);
        }
        if t.is_multiple_of(100) {
            sim.record_read();
        }
        t += 25;
    }
    sim.verdict()
}

/// Runs the workload under every configuration of [`configs`].
pub fn compare() -> Vec<CompareRow> {
    configs()
        .into_iter()
        .map(|(name, config)| {
            let v = run_workload(config.clone(), COMPARE_SEED);
            CompareRow {
                strategy: name,
                config,
                acknowledged: v.acknowledged,
                refused: v.refused,
                in_doubt: v.in_doubt,
                convergence_ms: v.convergence_ms,
                bound_ms: v.bound_ms,
                ratio: v.ratio,
                lost: v.lost,
                double_counted: v.double_counted,
                stale_reads: v.stale_reads,
                reads: v.reads,
                visibility_p50_ms: v.visibility.p50_ms,
                visibility_p99_ms: v.visibility.p99_ms,
                messages_per_like: v.messages_per_like,
                bytes_per_like: v.bytes_per_like,
                values: v.values,
            }
        })
        .collect()
}

fn ms(x: Option<Millis>) -> String {
    x.map_or("never".to_owned(), |x| format!("{x}"))
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".to_owned(), |x| format!("{x:.digits$}"))
}

/// The rows as a Markdown table.
pub fn to_markdown(rows: &[CompareRow]) -> String {
    let mut s = String::from(
        "| strategy | acked | refused | in doubt | converged in (ms) | bound (ms) | ratio | lost | double counted | stale reads | visible p50/p99 (ms) | msgs/like | bytes/like |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} of {} | {}/{} | {} | {} |\n",
            r.strategy,
            r.acknowledged,
            r.refused,
            r.in_doubt,
            ms(r.convergence_ms),
            r.bound_ms.map_or("–".to_owned(), |b| b.to_string()),
            num(r.ratio, 2),
            r.lost,
            r.double_counted,
            r.stale_reads,
            r.reads,
            r.visibility_p50_ms.map_or("–".to_owned(), |b| b.to_string()),
            r.visibility_p99_ms.map_or("–".to_owned(), |b| b.to_string()),
            num(r.messages_per_like, 1),
            num(r.bytes_per_like, 0),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_tells_the_strategies_apart() {
        let rows = compare();
        println!("{}", to_markdown(&rows));
        assert_eq!(rows.len(), configs().len());
        let row = |k: StrategyKind| rows.iter().find(|r| r.config == StrategyConfig::default_for(k)).unwrap();
        for k in [StrategyKind::EventPush, StrategyKind::BackgroundSync, StrategyKind::QueueBatch] {
            let r = row(k);
            assert!(r.convergence_ms.is_some(), "{r:?}");
            assert_eq!((r.lost, r.double_counted, r.refused), (0, 0, 0), "{r:?}");
        }
        assert!(row(StrategyKind::LastWriterWins).lost > 0);
        assert!(row(StrategyKind::SingleWriter).refused > 0);
        let no_dedupe = rows.iter().find(|r| r.strategy.contains("no de-dup")).unwrap();
        assert!(no_dedupe.values.iter().any(|&v| v > no_dedupe.acknowledged), "{no_dedupe:?}");
        assert_eq!(compare(), rows, "deterministic");
        assert!(to_markdown(&rows).lines().count() == rows.len() + 2);
    }
}
