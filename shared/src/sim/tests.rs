//! Scenario and property tests of the room simulation: no sockets, no sleeps,
//! time is just a number we pass in.

use super::*;
use crate::kernel::network::LinkConditions;
use crate::protocol::view::Consistency;
use crate::region::CATALOG;
use proptest::prelude::*;

fn region(id: &str) -> RegionId {
    RegionId::parse(id).unwrap()
}

fn reads(sim: &Simulation) -> Vec<u64> {
    RegionId::all().map(|r| sim.read(r)).collect()
}

/// Advances in 10 ms steps until every replica equals the ground truth, and
/// returns the time that took; fails after `limit` ms.
fn time_to_agree(sim: &mut Simulation, limit: Millis) -> Millis {
    let start = sim.now();
    while RegionId::all().any(|r| sim.read(r) != sim.truth().total) {
        assert!(sim.now() - start <= limit, "no convergence within {limit} ms: {:?}", reads(sim));
        sim.advance(sim.now() + 10);
    }
    sim.now() - start
}

#[test]
fn a_like_shows_at_once_in_its_region_and_later_elsewhere() {
    let mut sim = Simulation::new(SimConfig::default());
    let tokyo = region("tokyo");
    // At 100 ms, before the first anti-entropy round, so only the push is on the wire.
    assert_eq!(sim.like(tokyo, 100), Ok(Accepted::Now));
    assert_eq!(sim.read(tokyo), 1, "visible at once where it was made");
    for r in RegionId::all().filter(|&r| r != tokyo) {
        assert_eq!(sim.read(r), 0, "{r} cannot know yet");
    }
    let view = sim.view();
    assert_eq!(view.truth.total, 1);
    assert_eq!(view.divergence, 1);
    assert_eq!(view.consistency, Consistency::Settling { since: 100 });
    assert_eq!(view.in_flight, (RegionId::COUNT - 1) as u32, "one event per peer");
    assert_eq!(view.replicas[tokyo.index()].in_flight_out, view.in_flight);
    let far = view.replicas.iter().find(|r| r.region == region("saopaulo")).unwrap();
    assert_eq!(far.behind, 1);
}

#[test]
fn default_latencies_converge_within_five_seconds() {
    let mut sim = Simulation::new(SimConfig::default());
    for (i, r) in RegionId::all().enumerate() {
        sim.like(r, 500 + 37 * i as Millis).unwrap();
    }
    let took = time_to_agree(&mut sim, 5_000);
    assert!(took < 5_000, "took {took} ms");
    // The nearest pair cannot converge faster than its link delay.
    let min_link = RegionId::all().flat_map(|a| RegionId::all().filter(move |&b| b != a).map(move |b| (a, b)));
    let min_link = min_link.map(|(a, b)| sim.latency().get(a, b)).min().unwrap();
    assert!(took >= Millis::from(min_link), "took {took} ms < {min_link} ms");
    match sim.consistency() {
        Consistency::Settled { took_ms: Some(t), since, correct: true } => {
            assert!(since <= sim.now() && since + 10 > sim.now(), "settled at the last delivery");
            assert_eq!(t, since - sim.view().last_write_at.unwrap());
        }
        other => panic!("expected settled, got {other:?}"),
    }
}

#[test]
fn convergence_time_follows_the_slowest_link_from_the_origin() {
    let mut sim = Simulation::new(SimConfig { time_scale: 1.0, ..SimConfig::default() });
    let tokyo = region("tokyo");
    sim.like(tokyo, 0).unwrap();
    let took = time_to_agree(&mut sim, 5_000);
    let slowest = RegionId::all().map(|r| sim.latency().get(tokyo, r)).max().unwrap() as Millis;
    let jitter = slowest / 10;
    assert!(took >= slowest && took <= slowest + jitter + 10, "took {took}, slowest link {slowest}");
}

#[test]
fn time_scale_slows_everything_down() {
    let mut fast = Simulation::new(SimConfig { time_scale: 0.5, ..SimConfig::default() });
    let mut slow = Simulation::new(SimConfig { time_scale: 2.0, ..SimConfig::default() });
    let origin = region("frankfurt");
    fast.like(origin, 0).unwrap();
    slow.like(origin, 0).unwrap();
    let (f, s) = (time_to_agree(&mut fast, 10_000), time_to_agree(&mut slow, 10_000));
    assert!(s > 3 * f, "fast {f} ms, slow {s} ms");
}

#[test]
fn same_seed_same_history() {
    let run = |seed| {
        let mut sim = Simulation::new(SimConfig { seed, ..SimConfig::default() });
        let mut views = Vec::new();
        for i in 0..40u64 {
            sim.like(RegionId::from_index((i * 7 % 6) as usize).unwrap(), i * 90).unwrap();
            views.push(sim.view());
        }
        sim.advance(20_000);
        views.push(sim.view());
        views
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8), "jitter depends on the seed");
}

#[test]
fn time_never_runs_backwards() {
    let mut sim = Simulation::new(SimConfig::default());
    sim.advance(5_000);
    sim.like(region("tokyo"), 1_000).unwrap();
    assert_eq!(sim.now(), 5_000);
    assert_eq!(sim.view().last_write_at, Some(5_000));
}

#[test]
fn anti_entropy_repairs_what_the_push_lost() {
    let mut sim = Simulation::new(SimConfig::default());
    let (tokyo, sydney) = (region("tokyo"), region("sydney"));
    sim.network_mut().link_mut(tokyo, sydney).loss = 1.0;
    sim.like(tokyo, 0).unwrap();
    sim.advance(3_000);
    assert_eq!(sim.read(sydney), 0, "the push to Sydney was lost");
    assert!(sim.network().stats().dropped >= 1);
    // Sydney now learns it from a gossip round through some other region.
    let took = time_to_agree(&mut sim, 60_000);
    assert!(took > 0);
    assert_eq!(reads(&sim), vec![1; CATALOG.len()]);
}

#[test]
fn without_anti_entropy_a_lost_push_is_lost_for_good() {
    let config = SimConfig {
        strategy: StrategyConfig::EventPush { anti_entropy_ms: None, retry_ms: None, dedupe: true },
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(config);
    let (tokyo, sydney) = (region("tokyo"), region("sydney"));
    sim.network_mut().link_mut(tokyo, sydney).loss = 1.0;
    sim.like(tokyo, 0).unwrap();
    sim.advance(120_000);
    assert_eq!(sim.read(sydney), 0);
    // Nothing can repair it: the room is settled, on a wrong count.
    assert!(matches!(sim.consistency(), Consistency::Settled { correct: false, .. }));
    let v = sim.verdict();
    assert_eq!((v.lost, v.double_counted), (Some(1), Some(0)));
}

#[test]
fn views_cap_the_packet_list_but_count_every_message() {
    let mut sim = Simulation::new(SimConfig::default());
    for i in 0..100 {
        sim.like(region("virginia"), i).unwrap();
    }
    let view = sim.view();
    assert_eq!(view.in_flight, 500);
    assert_eq!(view.packets.len(), MAX_PACKETS_IN_VIEW);
    assert!(view.packets.windows(2).all(|w| w[0].arrive_at <= w[1].arrive_at));
    assert_eq!(view.links.iter().map(|l| l.in_flight).sum::<u32>(), 500);
    // A small room's view lists them all, soonest first.
    let all = sim.view_listing(crate::protocol::view::MAX_PACKETS_IN_SMALL_VIEW);
    assert_eq!(all.packets.len(), 500);
    assert_eq!(all.packets[..MAX_PACKETS_IN_VIEW], view.packets[..]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random likes in random regions at random times, under random (seeded)
    /// jitter, loss and duplication: once the network goes quiet and a few
    /// gossip rounds pass, every replica equals the ground truth.
    #[test]
    fn random_workloads_always_end_at_ground_truth(
        seed in any::<u64>(),
        likes in proptest::collection::vec((0..RegionId::COUNT, 0u64..200), 0..120),
        jitter in 0u32..1_500,
        loss in 0.0f64..0.3,
        duplicate in 0.0f64..0.3,
    ) {
        let mut sim = Simulation::new(SimConfig { seed, ..SimConfig::default() });
        for a in RegionId::all() {
            for b in RegionId::all().filter(|&b| b != a) {
                let link = sim.network_mut().link_mut(a, b);
                link.jitter_ms = jitter;
                link.loss = loss;
                link.duplicate = duplicate;
            }
        }
        let mut t = 0;
        for (r, gap) in &likes {
            t += gap;
            sim.like(RegionId::from_index(*r).unwrap(), t).unwrap();
        }
        prop_assert_eq!(sim.truth().total, likes.len() as u64);
        // Gossip needs a few rounds to reach everyone through lossy links.
        sim.advance(t + 120_000);
        for r in RegionId::all() {
            prop_assert_eq!(sim.read(r), sim.truth().total, "region {}", r);
        }
        prop_assert!(sim.settle(30_000));
        let correct = matches!(sim.consistency(), Consistency::Settled { correct: true, .. });
        prop_assert!(correct, "status {:?}", sim.consistency());
    }
}

#[test]
fn views_show_the_faults_to_every_viewer() {
    let mut sim = Simulation::new(SimConfig::default());
    assert!(sim.view().faults.cut.is_empty());
    assert_eq!(sim.view().faults.loss, 0.0);
    let (tokyo, virginia) = (region("tokyo"), region("virginia"));
    sim.cut(tokyo, virginia);
    sim.set_all_links(0.25, 0.1, Some(300));
    let faults = sim.view().faults;
    assert_eq!(faults.cut, vec![LinkRef { from: tokyo, to: virginia }, LinkRef { from: virginia, to: tokyo }]);
    assert_eq!((faults.loss, faults.duplicate, faults.jitter_ms), (0.25, 0.1, 300));
    sim.heal_all();
    assert!(sim.view().faults.cut.is_empty());
}

#[test]
fn a_one_way_cut_stops_one_direction_only() {
    let mut sim = Simulation::new(SimConfig::default());
    let (tokyo, virginia) = (region("tokyo"), region("virginia"));
    sim.apply(crate::protocol::Control::CutOneWay { from: tokyo, to: virginia });
    assert_eq!(sim.view().faults.cut, vec![LinkRef { from: tokyo, to: virginia }]);
    assert!(sim.view().faults.custom.is_empty(), "still on the room-wide settings");
    assert!(sim.is_cut(tokyo, virginia) && !sim.is_cut(virginia, tokyo));
    // Isolate everyone else from Virginia, so only the direct link counts.
    for other in RegionId::all().filter(|&r| r != tokyo && r != virginia) {
        sim.cut(virginia, other);
    }
    sim.like(virginia, 0).unwrap();
    sim.like(tokyo, 0).unwrap();
    sim.advance(30_000);
    assert_eq!(sim.read(tokyo), 2, "Virginia's like reached Tokyo");
    assert_eq!(sim.read(virginia), 1, "Tokyo's like never reached Virginia");
    sim.apply(crate::protocol::Control::HealOneWay { from: tokyo, to: virginia });
    assert!(sim.view().faults.cut.iter().all(|l| l.to != virginia || l.from != tokyo));
    time_to_agree(&mut sim, 60_000);
    assert_eq!(sim.read(virginia), 2, "healed, the like gets through");
}

/// Every link as a viewer reconstructs it from a frame, against the link
/// the simulation really runs.
fn assert_view_describes_every_link(sim: &Simulation) {
    let faults = sim.view().faults;
    for a in RegionId::all() {
        for b in RegionId::all().filter(|&b| b != a) {
            assert_eq!(&faults.link(sim.latency(), a, b), sim.link(a, b), "{a} -> {b}");
        }
    }
}

#[test]
fn a_link_of_its_own_ignores_the_room_wide_settings_until_reset() {
    let mut sim = Simulation::new(SimConfig::default());
    let (tokyo, sydney, virginia) = (region("tokyo"), region("sydney"), region("virginia"));
    assert!(sim.view().faults.custom.is_empty());
    assert!(sim.view().faults.natural_jitter);
    assert_view_describes_every_link(&sim);

    let slow = LinkConditions { latency_ms: 4_000, jitter_ms: 50, loss: 0.5, duplicate: 0.0, cut: false };
    sim.set_link(tokyo, sydney, slow.clone());
    sim.set_all_links(0.1, 0.2, Some(300));
    sim.cut(tokyo, sydney);
    assert_eq!(sim.link(tokyo, sydney), &LinkConditions { cut: true, ..slow.clone() });
    // The way back follows the room: only the one direction was set.
    let back = sim.link(sydney, tokyo).clone();
    assert_eq!(
        (back.loss, back.duplicate, back.jitter_ms, back.latency_ms),
        (0.1, 0.2, 300, sim.latency().get(sydney, tokyo))
    );
    let faults = sim.view().faults;
    assert_eq!(faults.custom.len(), 1);
    assert_eq!((faults.loss, faults.duplicate, faults.jitter_ms, faults.natural_jitter), (0.1, 0.2, 300, false));
    assert_view_describes_every_link(&sim);

    // Reset: back on the room-wide settings over its base delay, still cut.
    sim.reset_link(tokyo, sydney);
    let reset = sim.link(tokyo, sydney).clone();
    assert_eq!(
        reset,
        LinkConditions {
            latency_ms: sim.latency().get(tokyo, sydney),
            jitter_ms: 300,
            loss: 0.1,
            duplicate: 0.2,
            cut: true
        }
    );
    assert!(sim.view().faults.custom.is_empty());
    assert_view_describes_every_link(&sim);

    // `None` keeps the room-wide jitter; other links never became custom.
    sim.set_all_links(0.0, 0.0, None);
    assert_eq!(sim.link(virginia, tokyo).jitter_ms, 300);
    assert_view_describes_every_link(&sim);
}

#[test]
fn a_slow_link_of_its_own_delays_delivery_and_raises_the_bound() {
    let mut sim = Simulation::new(SimConfig::default());
    let (tokyo, sydney) = (region("tokyo"), region("sydney"));
    sim.set_all_links(0.0, 0.0, Some(0));
    for other in RegionId::all().filter(|&r| r != tokyo) {
        sim.set_link(
            tokyo,
            other,
            LinkConditions { latency_ms: 20_000, jitter_ms: 0, loss: 0.0, duplicate: 0.0, cut: false },
        );
    }
    sim.like(tokyo, 0).unwrap();
    sim.advance(19_999);
    assert_eq!(sim.read(sydney), 0, "nothing reached Sydney before the link's delay");
    sim.advance(20_000);
    assert_eq!(sim.read(sydney), 1);
    // Every way out of Tokyo now takes 20 s, and the reference knows it.
    assert!(sim.settle(30_000));
    let timing = sim.view().verdict.timing.unwrap();
    assert_eq!(timing.reference_ms, Some(20_000), "{timing:?}");
    assert_eq!(timing.measured_ms, 20_000, "no jitter, no loss: measured equals its reference");
}

#[test]
fn queue_and_batch_shows_its_two_guarantees_apart() {
    let config = SimConfig {
        strategy: StrategyConfig::default_for(crate::strategy::StrategyKind::QueueBatch),
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(config);
    sim.like(region("tokyo"), 100).unwrap();
    sim.like(region("sydney"), 120).unwrap();
    let stage = |sim: &Simulation, i: usize| sim.view().stages[i].count;
    assert_eq!(sim.view().stages.len(), 2);
    assert_eq!((stage(&sim, 0), stage(&sim, 1)), (2, 0), "on the queues, not yet in the database");
    sim.advance(20_000);
    assert_eq!((stage(&sim, 0), stage(&sim, 1)), (2, 2), "a few batches later both are written");
    assert!(Simulation::new(SimConfig::default()).view().stages.is_empty());
}
