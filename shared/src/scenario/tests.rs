//! Every scenario, played to its end, ends where its caption says — over
//! many seeds (the seed moves every message's jitter) — and the words of
//! the step list hold at the moments they are shown.

use super::*;
use crate::sim::{SimConfig, Simulation};
use proptest::prelude::*;

/// A room running `id`, advanced to `at`.
fn at(id: &str, seed: u64, at: Millis) -> Simulation {
    let scenario = find(id).unwrap();
    let mut sim = Simulation::new(scenario.config(seed, 1.0));
    sim.advance(at);
    sim
}

/// Plays the whole scenario and waits (at most two simulated minutes) for
/// the room to settle.
fn played(scenario: &'static Scenario, seed: u64) -> Simulation {
    let mut sim = Simulation::new(scenario.config(seed, 1.0));
    sim.advance(scenario.last_step_at());
    sim.settle(120_000);
    sim
}

fn reads(sim: &Simulation) -> Vec<u64> {
    RegionId::all().map(|r| sim.read(r)).collect()
}

#[test]
fn the_catalogue_is_well_formed() {
    let mut ids: Vec<&str> = CATALOGUE.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CATALOGUE.len(), "ids are unique");
    for s in &CATALOGUE {
        assert!(crate::protocol::RoomId::parse(s.id).is_ok(), "{} is safe in a URL", s.id);
        assert!(s.steps.windows(2).all(|w| w[0].at <= w[1].at), "{}: steps in time order", s.id);
        // Two sentences: two full stops (or question marks), the last at the end.
        let stops = s.caption.matches(['.', '?']).count();
        assert_eq!(stops, 2, "{}: a two-sentence caption", s.id);
        assert!(s.caption.ends_with('.'), "{}", s.id);
        assert!((1..=26).contains(&s.short.chars().count()), "{}: a short label fits the picker", s.id);
        assert!(crate::protocol::validate_strategy(s.strategy.clone()).is_ok(), "{}", s.id);
    }
    assert!(find("nope").is_none());
}

#[test]
fn every_scenario_keeps_its_promise() {
    for scenario in &CATALOGUE {
        for seed in [0, 1, 7, 42, 0x11CE_5EED] {
            let sim = played(scenario, seed);
            if let Err(why) = scenario.promise.check(&sim) {
                panic!("{} with seed {seed}: {why}", scenario.id);
            }
            let view = sim.view().scenario.unwrap();
            assert_eq!((view.done, view.finished), (scenario.steps.len(), true), "{}", scenario.id);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn promises_hold_for_any_seed(seed in any::<u64>(), i in 0..CATALOGUE.len()) {
        let scenario = &CATALOGUE[i];
        let sim = played(scenario, seed);
        prop_assert_eq!(scenario.promise.check(&sim), Ok(()), "{}", scenario.id);
    }
}

#[test]
fn a_scenario_is_unfinished_until_its_last_step_and_the_settling() {
    let sim = at("cable_cut", 3, 7_000);
    let view = sim.view().scenario.unwrap();
    assert_eq!((view.id.as_str(), view.done, view.finished), ("cable_cut", 5, false));
    // A room without a scenario shows none.
    assert_eq!(Simulation::new(SimConfig::default()).view().scenario, None);
}

#[test]
fn steps_are_events_so_the_room_wakes_for_them() {
    let sim = at("nightly_batch", 1, 3_500);
    // The batch timer and the next step are both scheduled; the step at 30 s
    // comes no later than whatever the strategy has planned.
    assert!(sim.next_event_at().is_some_and(|t| t <= 30_000));
}

#[test]
fn the_step_list_tells_the_truth_at_each_step() {
    for seed in 0..40 {
        // Japan and America: Frankfurt has heard both when the list says so.
        assert_eq!(reads(&at("same_moment", seed, 4_000)), vec![2; 6], "seed {seed}");
        // The cut: each half agrees with itself, 3 in the east, 2 in the west.
        assert_eq!(reads(&at("cable_cut", seed, 6_000)), vec![3, 3, 3, 2, 2, 2], "seed {seed}");
        // The nightly batch: nothing shows before the second run.
        assert_eq!(reads(&at("nightly_batch", seed, 59_999)), vec![0; 6], "seed {seed}");
        // Region down: the durable crash kept both likes.
        assert_eq!(at("region_down", seed, 3_600).read(RegionId::MUMBAI), 2, "seed {seed}");
        assert_eq!(reads(&at("region_down", seed, 10_000)), vec![2; 6], "seed {seed}");
        let down = at("region_down", seed, 14_600);
        assert_eq!((down.read(RegionId::MUMBAI), down.verdict().destroyed_in_crashes), (2, 1), "seed {seed}");
        // Money: the Tokyo payments were refused as soon as they were made.
        assert_eq!(at("money", seed, 5_000).truth().refused, 2, "seed {seed}");
        // The skewed clock: the loss is blamed on the skew.
        let skew = played(find("skewed_clock").unwrap(), seed);
        assert_eq!(skew.verdict().lost_to_skew, Some(1), "seed {seed}");
    }
}

#[test]
fn a_replayed_scenario_room_equals_the_live_one() {
    // The steps are not in the log: replaying the (empty) log over the same
    // configuration plays them again, identically.
    let scenario = find("region_down").unwrap();
    let live = at("region_down", 11, 12_500);
    let replayed = crate::sim::replay::replay(scenario.config(11, 1.0), &[], 12_500);
    assert_eq!(live.fingerprint(), replayed.fingerprint());
}
