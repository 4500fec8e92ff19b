//! A test-only oracle for the verdict, independent of the ledger and of
//! every strategy's bookkeeping.
//!
//! It reads the raw trace the simulation records — likes taken, messages
//! delivered (with what they carry, per origin), crashes (with what was on
//! the wire), likes in doubt that ended refused — and replays the flow of
//! information: a region knows what it took and what reached it; a volatile
//! crash leaves a region with only those of its likes that other regions or
//! messages still on the wire carry. From that alone it computes, per origin, how many likes
//! still exist anywhere once everything has landed: what every replica of a
//! correct strategy must hold once settled, and what the verdict must call
//! lost.
//!
//! The property tests below run every strategy under random schedules of
//! likes, cuts, heals, loss, duplication, volatile and durable crashes,
//! restarts and strategy switches, and compare the verdict with the oracle.

use super::*;
use crate::strategy::{EventPush, StrategyKind};
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};

/// One raw event of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Trace {
    /// A like was taken (acknowledged or pending) at this region.
    Like(RegionId),
    /// A like answered "pending" at this region ended refused.
    Refused(RegionId),
    /// A message reached a live region, carrying this much per origin.
    Deliver { to: RegionId, carries: Tally },
    /// A region crashed; `carried` is what the messages still on the wire
    /// (and not addressed to it) carry, per origin; `kept` what the
    /// strategy declares durable whatever the room's switch (a database,
    /// see `Strategy::durable_state`).
    Crash { region: RegionId, durable: bool, carried: Tally, kept: Tally },
    /// The room switched to this strategy (messages on the wire dropped).
    Switch(StrategyConfig),
}

/// What the oracle concludes from a trace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expected {
    /// Per origin, how many of its likes still exist somewhere.
    pub(crate) surviving: Tally,
}

/// Replays the information flow of a trace.
pub(crate) fn expected(trace: &[Trace]) -> Expected {
    let mut known = vec![Tally::default(); RegionId::COUNT];
    for event in trace {
        match event {
            Trace::Like(o) => known[o.index()].add(*o, 1),
            Trace::Refused(o) => {
                // The refused like is the newest one of its origin, which no
                // one else holds (or it would have been acknowledged).
                let n = known[o.index()].get(*o);
                known[o.index()].set(*o, n.saturating_sub(1));
            }
            Trace::Deliver { to, carries } => known[to.index()] = known[to.index()].max(carries),
            Trace::Switch(config) => {
                // The documented migration: a strategy with one copy that
                // decides (the database, the leader) starts it from the union
                // of what the replicas held; last writer wins merges every
                // register into one; the others keep each replica's state.
                let union = known.iter().fold(Tally::default(), |acc, t| acc.max(t));
                match config {
                    StrategyConfig::QueueBatch { writer, .. } => known[writer.index()] = union,
                    StrategyConfig::SingleWriter { leader, .. } => known[leader.index()] = union,
                    StrategyConfig::LastWriterWins { .. } => known.iter_mut().for_each(|k| *k = union),
                    _ => {}
                }
            }
            Trace::Crash { region, durable, carried, kept } => {
                if !durable {
                    let others = RegionId::all().filter(|r| r != region).map(|r| known[r.index()]);
                    let elsewhere = others.fold(*carried, |acc, t| acc.max(&t)).max(kept);
                    known[region.index()] = known[region.index()].min(&elsewhere);
                }
            }
        }
    }
    Expected { surviving: known.iter().fold(Tally::default(), |acc, t| acc.max(t)) }
}

fn region(i: usize) -> RegionId {
    RegionId::from_index(i % RegionId::COUNT).unwrap()
}

/// Every configuration the lab offers, the correct ones first.
fn all_configs() -> Vec<StrategyConfig> {
    let mut configs: Vec<StrategyConfig> = StrategyKind::ALL.iter().map(|&k| StrategyConfig::default_for(k)).collect();
    configs.push(StrategyConfig::EventPush {
        anti_entropy_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS),
        retry_ms: Some(EventPush::DEFAULT_RETRY_MS),
        dedupe: true,
    });
    configs.push(StrategyConfig::BackgroundSync { interval_ms: 1_000, delta: true });
    configs
}

/// Runs a random schedule, then heals everything, restarts every region,
/// makes the network clean and lets the room settle.
fn run(seed: u64, first: usize, steps: &[(u8, usize, usize, u64)], loss: f64, dup: f64, durable: bool) -> Simulation {
    let configs = all_configs();
    let mut sim = Simulation::new(SimConfig {
        seed,
        strategy: configs[first % configs.len()].clone(),
        durable,
        ..SimConfig::default()
    });
    sim.set_all_links(loss, dup, Some(400));
    let mut t = 0;
    for &(op, a, b, gap) in steps {
        t += gap;
        sim.advance(t);
        let (ra, rb) = (region(a), region(b));
        match op {
            0 => sim.cut(ra, rb),
            1 => sim.heal(ra, rb),
            2 => {
                sim.crash(ra);
            }
            3 => sim.restart(ra),
            4 => sim.set_strategy(configs[b % configs.len()].clone()),
            5 => sim.set_durable(!sim.durable()),
            _ => {
                let _ = sim.like(ra, t);
            }
        }
    }
    for r in RegionId::all() {
        sim.restart(r);
    }
    sim.heal_all();
    sim.set_all_links(0.0, 0.0, None);
    sim
}

fn schedule() -> impl proptest::strategy::Strategy<Value = Vec<(u8, usize, usize, u64)>> {
    proptest::collection::vec((0u8..12, 0..RegionId::COUNT, 0..RegionId::COUNT, 0u64..600), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The verdict agrees with the oracle for every strategy: once settled,
    /// each origin's lost likes are exactly those acknowledged there that
    /// the replica holding the fewest lacks, and no strategy holds a like the
    /// oracle says no longer exists. The strategies that promise it (all but
    /// last writer wins) hold exactly what survives, everywhere.
    #[test]
    fn the_verdict_agrees_with_an_independent_oracle(
        seed in any::<u64>(),
        first in 0usize..7,
        steps in schedule(),
        loss in 0.0f64..0.3,
        dup in 0.0f64..0.3,
        durable in any::<bool>(),
    ) {
        let mut sim = run(seed, first, &steps, loss, dup, durable);
        prop_assert!(sim.settle(300_000), "never settled: {:?}", sim.verdict().pending);
        let expected = expected(&sim.trace);
        let v = sim.verdict();
        let truth = sim.truth().clone();
        // Last writer wins overwrites instead of merging: while it runs,
        // what survives is an upper bound, not what every replica holds.
        let lww = |i: usize| all_configs()[i % all_configs().len()].kind() == StrategyKind::LastWriterWins;
        let exact = !lww(first) && !steps.iter().any(|s| s.0 == 4 && lww(s.2));
        let mut lost = 0;
        for o in RegionId::all() {
            let acked = truth.per_region[o.index()];
            let surviving = expected.surviving.get(o);
            let held: Vec<u64> = RegionId::all().map(|r| sim.tally(r).get(o)).collect();
            for (r, &h) in held.iter().enumerate() {
                prop_assert!(h <= surviving, "{} holds {} of {}'s likes, only {} exist", region(r), h, o, surviving);
                if exact {
                    prop_assert_eq!(h, surviving, "{} of {}'s likes at {}", h, o, region(r));
                }
            }
            // Nothing acknowledged is ever missing from the oracle's count
            // except what crashes destroyed: surviving + destroyed >= acked.
            lost += acked.saturating_sub(*held.iter().min().unwrap());
        }
        prop_assert_eq!(v.lost, Some(lost));
        prop_assert_eq!(v.double_counted, Some(0));
        if exact {
            // With every surviving like held everywhere, the loss is exactly
            // what the oracle says vanished.
            let vanished: u64 = RegionId::all()
                .map(|o| truth.per_region[o.index()].saturating_sub(expected.surviving.get(o)))
                .sum();
            prop_assert_eq!(v.lost, Some(vanished));
        }
        prop_assert_eq!(v.in_doubt, 0, "every like in doubt ended");
        // Durable rooms of a correct strategy that never switched lose nothing.
        let switched = steps.iter().any(|s| s.0 == 4 || s.0 == 5);
        if durable && !switched && exact {
            prop_assert_eq!(v.lost, Some(0));
        }
    }
}

#[test]
fn the_oracle_sees_a_volatile_crash_destroy_only_what_nobody_else_holds() {
    let tokyo = region(0);
    let trace = vec![
        Trace::Like(tokyo),
        Trace::Like(tokyo),
        Trace::Deliver { to: region(1), carries: Tally::from_slots(&[1]) },
        Trace::Like(tokyo),
        Trace::Crash { region: tokyo, durable: false, carried: Tally::from_slots(&[2]), kept: Tally::default() },
    ];
    assert_eq!(expected(&trace).surviving.get(tokyo), 2, "one held by Sydney, two on the wire");
}
