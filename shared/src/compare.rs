//! One fixed, seeded workload run under every strategy, side by side.
//!
//! The workload: a *celebrity burst* — likes from every region, one every
//! 25 ms for 3 s — on a network that loses and duplicates 10% of messages;
//! then the world splits in two (Tokyo, Sydney, Mumbai | Frankfurt, Virginia,
//! São Paulo) for 5 s; for the first 3 s of it likes keep coming at 10 per
//! second, three in four on the Asian side (an even split would let the two
//! halves reach the same total by coincidence and hide what last writer wins
//! does); then the partition heals and the room runs until it settles.
//!
//! Every configuration runs over [`SEEDS`] seeds (jitter, loss, gossip
//! peers differ), and the table shows the median and the 90th percentile
//! of every figure, each timing next to its reference.
//!
//! The table is computed straight on the [`Simulation`], so it is exactly
//! what the lab shows, and deterministic: the same build always prints the
//! same numbers.

use crate::kernel::Millis;
use crate::region::RegionId;
use crate::sim::{SimConfig, Simulation, Verdict};
use crate::strategy::{BackgroundSync, EventPush, SingleWriter, StrategyConfig, StrategyKind};
use serde::{Deserialize, Serialize};

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
        StrategyKind::SingleWriter => vec![(
            "Single writer, 2 s failure timeout".to_owned(),
            StrategyConfig::SingleWriter {
                leader: crate::strategy::default_central_region(),
                timeout_ms: SingleWriter::MIN_TIMEOUT_MS,
            },
        )],
        StrategyKind::BackgroundSync => vec![(
            "Background sync, deltas".to_owned(),
            StrategyConfig::BackgroundSync { interval_ms: BackgroundSync::DEFAULT_INTERVAL_MS, delta: true },
        )],
        _ => Vec::new(),
    }
}

/// Seeds every configuration runs over.
pub const SEEDS: u64 = 30;
/// The first seed; run `i` uses `FIRST_SEED + i`.
pub const FIRST_SEED: u64 = 0x11CE_C0DE;

/// Runs the workload under one configuration with one seed, lets the room
/// settle (or gives up a simulated minute after the end), and returns the
/// final verdict.
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
        t += 25;
    }
    sim.settle(60_000);
    sim.verdict()
}

/// Median and 90th percentile of a figure over the seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub p90: f64,
}

impl Spread {
    fn of(mut xs: Vec<f64>) -> Option<Spread> {
        if xs.is_empty() {
            return None;
        }
        xs.sort_by(f64::total_cmp);
        let at = |p: f64| xs[((p * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
        Some(Spread { median: at(0.5), p90: at(0.9) })
    }
}

/// One configuration's results over [`SEEDS`] seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// Strategy name and notable knobs.
    pub strategy: String,
    pub config: StrategyConfig,
    pub seeds: u64,
    /// Runs that settled.
    pub settled: u64,
    pub acknowledged: Option<Spread>,
    pub refused: Option<Spread>,
    pub lost: Option<Spread>,
    pub double_counted: Option<Spread>,
    /// Convergence after the heal (the last disturbance), measured, and its
    /// reference; and the smallest `measured - reference` of any run (never
    /// negative).
    pub convergence_ms: Option<Spread>,
    pub reference_ms: Option<Spread>,
    pub min_margin_ms: Option<i64>,
    pub visibility_p50_ms: Option<Spread>,
    /// Stale reads, percent of reads.
    pub stale_pct: Option<Spread>,
    pub like_messages_per_like: Option<Spread>,
    pub background_messages_per_s: Option<Spread>,
}

/// Runs every configuration of [`configs`] over [`SEEDS`] seeds.
pub fn compare() -> Vec<CompareRow> {
    configs().into_iter().map(|(name, config)| compare_one(name, config, SEEDS)).collect()
}

/// One configuration over `seeds` seeds.
pub fn compare_one(strategy: String, config: StrategyConfig, seeds: u64) -> CompareRow {
    let runs: Vec<Verdict> = (0..seeds).map(|i| run_workload(config.clone(), FIRST_SEED + i)).collect();
    let spread = |f: &dyn Fn(&Verdict) -> Option<f64>| Spread::of(runs.iter().filter_map(f).collect());
    let timing = |v: &Verdict| v.timing.clone().filter(|_| v.settled);
    CompareRow {
        strategy,
        config,
        seeds,
        settled: runs.iter().filter(|v| v.settled).count() as u64,
        acknowledged: spread(&|v| Some(v.acknowledged as f64)),
        refused: spread(&|v| Some(v.refused as f64)),
        lost: spread(&|v| v.lost.map(|x| x as f64)),
        double_counted: spread(&|v| v.double_counted.map(|x| x as f64)),
        convergence_ms: spread(&|v| timing(v).map(|t| t.measured_ms as f64)),
        reference_ms: spread(&|v| timing(v).and_then(|t| t.reference_ms).map(|x| x as f64)),
        min_margin_ms: runs
            .iter()
            .filter_map(|v| timing(v).and_then(|t| Some(t.measured_ms as i64 - t.reference_ms? as i64)))
            .min(),
        visibility_p50_ms: spread(&|v| v.visibility.as_ref().and_then(|x| x.p50_ms).map(|x| x as f64)),
        stale_pct: spread(&|v| (v.reads > 0).then(|| v.stale_reads as f64 * 100.0 / v.reads as f64)),
        like_messages_per_like: spread(&|v| v.like_messages_per_like),
        background_messages_per_s: spread(&|v| v.background_messages_per_s),
    }
}

fn cell(x: Option<Spread>, scale: f64, digits: usize) -> String {
    x.map_or("–".to_owned(), |s| format!("{:.digits$} / {:.digits$}", s.median / scale, s.p90 / scale))
}

/// The rows as a Markdown table (each cell: median / p90 over the seeds).
pub fn to_markdown(rows: &[CompareRow]) -> String {
    let mut s = String::from(
        "| strategy | settled | acked | refused | lost | double counted | converged after the heal (s) | reference (s) | visible everywhere p50 (s) | stale reads (%) | like msgs per like | background msgs/s |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.strategy,
            r.settled,
            r.seeds,
            cell(r.acknowledged, 1.0, 0),
            cell(r.refused, 1.0, 0),
            cell(r.lost, 1.0, 0),
            cell(r.double_counted, 1.0, 0),
            cell(r.convergence_ms, 1000.0, 1),
            cell(r.reference_ms, 1000.0, 1),
            cell(r.visibility_p50_ms, 1000.0, 1),
            cell(r.stale_pct, 1.0, 0),
            cell(r.like_messages_per_like, 1.0, 1),
            cell(r.background_messages_per_s, 1.0, 1),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_tells_the_strategies_apart() {
        let rows: Vec<CompareRow> = configs().into_iter().map(|(n, c)| compare_one(n, c, 4)).collect();
        println!("{}", to_markdown(&rows));
        let row = |k: StrategyKind| rows.iter().find(|r| r.config == StrategyConfig::default_for(k)).unwrap();
        for r in &rows {
            assert_eq!(r.settled, r.seeds, "every run settles: {r:?}");
            assert!(r.min_margin_ms.is_none_or(|m| m >= 0), "measured below its reference: {r:?}");
        }
        for k in [StrategyKind::EventPush, StrategyKind::BackgroundSync, StrategyKind::QueueBatch] {
            let r = row(k);
            assert_eq!(r.lost.unwrap().p90, 0.0, "{r:?}");
            assert_eq!(r.double_counted.unwrap().p90, 0.0, "{r:?}");
        }
        assert!(row(StrategyKind::LastWriterWins).lost.unwrap().median > 0.0);
        // A 5 s partition is shorter than the default failure timeout: the
        // followers cut off keep taking likes, in doubt, and all count.
        assert_eq!(row(StrategyKind::SingleWriter).refused.unwrap().p90, 0.0);
        let quick = rows.iter().find(|r| r.strategy.contains("2 s failure timeout")).unwrap();
        assert!(quick.refused.unwrap().median > 0.0, "a short timeout refuses: {quick:?}");
        for r in [row(StrategyKind::SingleWriter), quick] {
            assert_eq!((r.lost.unwrap().p90, r.double_counted.unwrap().p90), (0.0, 0.0), "{r:?}");
        }
        let no_dedupe = rows.iter().find(|r| r.strategy.contains("no de-dup")).unwrap();
        assert!(no_dedupe.double_counted.unwrap().median > 0.0, "{no_dedupe:?}");
        assert_eq!(to_markdown(&rows).lines().count(), rows.len() + 2);
    }
}
