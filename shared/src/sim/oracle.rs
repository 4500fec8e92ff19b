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
use crate::crdt::PersonId;
use crate::strategy::{EventPush, StrategyKind};
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};
use std::collections::BTreeSet;

/// One raw event of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Trace {
    /// A like was taken (acknowledged or pending) at this region.
    Like(RegionId),
    /// A like answered "pending" at this region ended refused.
    Refused(RegionId),
    /// A message reached a live region, carrying this much per origin
    /// (unbroken runs from the first operation), and the runs that start
    /// later, `(origin, from, upto)`, which extend a replica only if they
    /// continue what it holds (people's likes, see [`runs`]).
    Deliver { to: RegionId, carries: Tally, runs: Vec<(RegionId, u64, u64)> },
    /// The operation just taken (the `Like` before it) was this person's
    /// like or unlike.
    Person { origin: RegionId, person: PersonId, like: bool },
    /// A region crashed; `carried` is what the messages still on the wire
    /// (and not addressed to it) carry, per origin; `kept` what the
    /// strategy declares durable whatever the room's switch (a database,
    /// see `Strategy::durable_state`).
    Crash { region: RegionId, durable: bool, carried: Tally, kept: Tally },
    /// The room switched to this strategy (messages on the wire dropped).
    Switch(StrategyConfig),
    /// A saga service ran `action` of `saga` for the first time (a repeat
    /// is answered from memory and not traced).
    SagaRan { saga: u64, person: PersonId, action: crate::saga::Action, ok: bool },
    /// Some region showed the super like of `saga` for the first time.
    SuperSeen(u64),
}

/// What the oracle concludes from a trace.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expected {
    /// Per origin, how many of its likes still exist somewhere.
    pub(crate) surviving: Tally,
    /// People's likes: per origin, each operation taken and not refused,
    /// in order, as `(person, like)`, indexed by number (operation `n` at
    /// `n - 1`; see `destroyed` for those whose numbers were taken again).
    pub(crate) ops: Vec<Vec<(PersonId, bool)>>,
    /// People's operations a volatile crash destroyed and whose numbers
    /// the origin then took again, as `(person, like)`: no longer in `ops`
    /// (which is indexed by number), yet taken and not refused — the person
    /// was told, so they still count for [`Expected::expected_people`].
    pub(crate) destroyed: Vec<(PersonId, bool)>,
}

impl Expected {
    /// People who liked (every operation not refused ends acknowledged)
    /// and never unliked: judged on every operation taken and not refused,
    /// including those a crash destroyed (what people were told, as the
    /// README defines the verdict for sets), not only on those whose
    /// numbers still stand.
    pub(crate) fn expected_people(&self) -> BTreeSet<PersonId> {
        let all = self.ops.iter().flatten().chain(&self.destroyed);
        let unliked: BTreeSet<PersonId> = all.clone().filter(|(_, like)| !like).map(|&(p, _)| p).collect();
        all.filter(|(p, like)| *like && !unliked.contains(p)).map(|&(p, _)| p).collect()
    }

    /// Of those, the people one of whose likes still exists somewhere: with
    /// no unlike of theirs anywhere, every rule keeps them.
    pub(crate) fn surviving_people(&self) -> BTreeSet<PersonId> {
        let expected = self.expected_people();
        RegionId::all()
            .flat_map(|o| self.ops[o.index()].iter().take(self.surviving.get(o) as usize))
            .filter(|(p, like)| *like && expected.contains(p))
            .map(|&(p, _)| p)
            .collect()
    }
}

/// The runs of operations a message carries that do not start at the
/// first one: `(origin, from, upto)`. Read off the message itself, not
/// through any strategy.
pub(crate) fn runs(msg: &Message) -> Vec<(RegionId, u64, u64)> {
    match msg {
        Message::Like { origin, seq, from } if *from > 1 => vec![(*origin, *from, *seq)],
        Message::Delta(entries) => entries.iter().filter(|e| e.1 > 1).copied().collect(),
        _ => Vec::new(),
    }
}

/// Replays the information flow of a trace.
pub(crate) fn expected(trace: &[Trace]) -> Expected {
    let mut known = vec![Tally::default(); RegionId::COUNT];
    let mut ops: Vec<Vec<(PersonId, bool)>> = vec![Vec::new(); RegionId::COUNT];
    let mut destroyed = Vec::new();
    for event in trace {
        match event {
            Trace::Like(o) => known[o.index()].add(*o, 1),
            Trace::Person { origin, person, like } => {
                // Numbered after what the origin holds of its own: numbers
                // past that were destroyed and are taken again. Destroyed is
                // not refused: those operations were taken (and told), so
                // they leave the numbering but not the people's truth —
                // forgetting them made a crash's loss of an acknowledged
                // like (or unlike) vanish from the oracle exactly when a
                // later operation happened to reuse its number.
                let n = known[origin.index()].get(*origin) as usize;
                let ops = &mut ops[origin.index()];
                destroyed.extend(ops.drain(n.saturating_sub(1).min(ops.len())..));
                ops.push((*person, *like));
            }
            Trace::Refused(o) => {
                // The refused like is the newest one of its origin, which no
                // one else holds (or it would have been acknowledged).
                let n = known[o.index()].get(*o);
                known[o.index()].set(*o, n.saturating_sub(1));
                ops[o.index()].truncate(n.saturating_sub(1) as usize);
            }
            Trace::Deliver { to, carries, runs } => {
                let k = &mut known[to.index()];
                *k = k.max(carries);
                for &(o, from, upto) in runs {
                    if from <= k.get(o) + 1 {
                        k.set(o, k.get(o).max(upto));
                    }
                }
            }
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
            // The sagas' money has an oracle of its own (`saga_tests`).
            Trace::SagaRan { .. } | Trace::SuperSeen(_) => {}
            Trace::Crash { region, durable, carried, kept } => {
                if !durable {
                    let others = RegionId::all().filter(|r| r != region).map(|r| known[r.index()]);
                    let elsewhere = others.fold(*carried, |acc, t| acc.max(&t)).max(kept);
                    known[region.index()] = known[region.index()].min(&elsewhere);
                }
            }
        }
    }
    Expected { surviving: known.iter().fold(Tally::default(), |acc, t| acc.max(t)), ops, destroyed }
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
        Trace::Deliver { to: region(1), carries: Tally::from_slots(&[1]), runs: Vec::new() },
        Trace::Like(tokyo),
        Trace::Crash { region: tokyo, durable: false, carried: Tally::from_slots(&[2]), kept: Tally::default() },
    ];
    assert_eq!(expected(&trace).surviving.get(tokyo), 2, "one held by Sydney, two on the wire");
}

#[test]
fn the_oracle_still_counts_an_operation_a_crash_destroyed_once_its_number_is_reused() {
    let tokyo = region(0);
    let trace = vec![
        Trace::Like(tokyo),
        Trace::Person { origin: tokyo, person: 1, like: true },
        Trace::Crash { region: tokyo, durable: false, carried: Tally::default(), kept: Tally::default() },
        Trace::Like(tokyo),
        Trace::Person { origin: tokyo, person: 2, like: true },
    ];
    let e = expected(&trace);
    assert_eq!(e.ops[tokyo.index()], vec![(2, true)], "number 1 taken again by person 2");
    // Person 1 was told their like counts: the crash lost it, it did not
    // undo it.
    assert_eq!(e.expected_people(), BTreeSet::from([1, 2]));
    assert_eq!(e.surviving_people(), BTreeSet::from([2]));
}

/// A random schedule in a room of people's likes: three people like and
/// unlike at random regions, among cuts, crashes, restarts and switches
/// between the strategies that keep each operation; then everything heals.
fn run_set(
    seed: u64,
    data_type: DataType,
    first: usize,
    steps: &[(u8, usize, usize, u64)],
    durable: bool,
) -> Simulation {
    let configs: Vec<StrategyConfig> =
        all_configs().into_iter().filter(|c| c.kind() != StrategyKind::LastWriterWins).collect();
    let mut sim = Simulation::new(SimConfig {
        seed,
        strategy: configs[first % configs.len()].clone(),
        durable,
        data_type,
        ..SimConfig::default()
    });
    sim.set_all_links(0.1, 0.1, Some(400));
    let mut t = 0;
    for &(op, a, b, gap) in steps {
        t += gap;
        sim.advance(t);
        let (ra, rb) = (region(a), region(b));
        let person = 1 + (b % 3) as PersonId;
        match op {
            0 => sim.cut(ra, rb),
            1 => sim.heal(ra, rb),
            2 => {
                sim.crash(ra);
            }
            3 => sim.restart(ra),
            4 => sim.set_strategy(configs[b % configs.len()].clone()),
            5..=7 => {
                let _ = sim.unlike(ra, person, t);
            }
            _ => {
                let _ = sim.like_as(ra, person, t);
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// In a room of sets, once settled every live replica holds the same
    /// people; the verdict's lost people are exactly those the oracle finds
    /// liked and never unliked with no like of theirs left anywhere; and no
    /// double count is claimed.
    #[test]
    fn settled_sets_agree_and_the_verdict_matches_the_oracle(
        seed in any::<u64>(),
        remove_wins in any::<bool>(),
        first in 0usize..6,
        steps in proptest::collection::vec((0u8..14, 0..RegionId::COUNT, 0..RegionId::COUNT, 0u64..600), 0..50),
        durable in any::<bool>(),
    ) {
        let data_type = if remove_wins { DataType::LikesRemoveWins } else { DataType::LikesAddWins };
        let mut sim = run_set(seed, data_type, first, &steps, durable);
        prop_assert!(sim.settle(300_000), "never settled: {:?}", sim.verdict().pending);
        let expected = expected(&sim.trace);
        let members: Vec<Vec<PersonId>> = RegionId::all().map(|r| sim.members(r).to_vec()).collect();
        for m in &members {
            prop_assert_eq!(m, &members[0], "replicas disagree on who likes the post");
        }
        // Every replica holds exactly the runs of operations that survive,
        // by the oracle's own reading of what each message carried.
        for o in RegionId::all() {
            for r in RegionId::all() {
                prop_assert_eq!(sim.tally(r).get(o), expected.surviving.get(o), "{}'s operations at {}", o, r);
            }
        }
        let v = sim.verdict();
        let set = v.set.clone().expect("a set room has a set verdict");
        prop_assert_eq!(v.double_counted, None);
        let want = expected.expected_people();
        let surviving = expected.surviving_people();
        prop_assert_eq!(set.expected, want.len() as u64);
        prop_assert_eq!(v.lost, Some(want.difference(&surviving).count() as u64));
        for p in &surviving {
            prop_assert!(members[0].contains(p), "person {} liked, never unliked, a like survives, yet missing", p);
        }
    }
}
