//! Scenario tests of the strategies, faults and verdict. Deterministic: a
//! seed, likes at given times, faults at given times.

use super::*;
use crate::protocol::view::Consistency;
use crate::protocol::view::SimView;
use crate::strategy::{EventPush, QueueBatch, SingleWriter, StrategyKind};
use proptest::prelude::*;

fn region(id: &str) -> RegionId {
    RegionId::parse(id).unwrap()
}

fn sim_with(strategy: StrategyConfig, seed: u64) -> Simulation {
    Simulation::new(SimConfig { seed, strategy, ..SimConfig::default() })
}

fn push_retry(dedupe: bool) -> StrategyConfig {
    StrategyConfig::EventPush {
        anti_entropy_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS),
        retry_ms: Some(EventPush::DEFAULT_RETRY_MS),
        dedupe,
    }
}

fn sync(delta: bool) -> StrategyConfig {
    StrategyConfig::BackgroundSync { interval_ms: 1_000, delta }
}

fn reads(sim: &Simulation) -> Vec<u64> {
    RegionId::all().map(|r| sim.read(r)).collect()
}

/// Likes from every region, a bit of everything wrong with the network, a
/// partition in the middle, then heal and let it settle.
fn hostile_run(sim: &mut Simulation, seed: u64) {
    sim.set_all_links(0.2, 0.2, Some(600));
    let (tokyo, virginia) = (region("tokyo"), region("virginia"));
    let mut t = 0;
    for i in 0..60u64 {
        t += 37 + (seed.wrapping_mul(i + 1) % 90);
        if i == 20 {
            sim.advance(t);
            sim.isolate(tokyo);
            sim.cut(virginia, region("frankfurt"));
        }
        if i == 45 {
            sim.advance(t);
            sim.heal_all();
        }
        let r = RegionId::from_index(((i * 5 + seed) % 6) as usize).unwrap();
        let _ = sim.like(r, t);
    }
    sim.advance(t + 1);
    sim.set_all_links(0.0, 0.0, None);
    sim.advance(t + 60_000);
}

#[test]
fn crdt_strategies_end_exactly_at_ground_truth_under_every_fault() {
    for config in [StrategyConfig::default(), push_retry(true), sync(false), sync(true)] {
        for seed in [1, 2, 3] {
            let mut sim = sim_with(config.clone(), seed);
            hostile_run(&mut sim, seed);
            let truth = sim.truth().total;
            assert_eq!(truth, 60, "every like accepted");
            assert_eq!(reads(&sim), vec![truth; 6], "{config:?} seed {seed}");
            let v = sim.verdict();
            assert!(v.settled && v.lost == Some(0) && v.double_counted == Some(0), "{v:?}");
            assert!(sim.network().stats().duplicated > 0 && sim.network().stats().dropped > 0);
        }
    }
}

#[test]
fn retries_alone_repair_losses_without_gossip() {
    let config = StrategyConfig::EventPush { anti_entropy_ms: None, retry_ms: Some(3_000), dedupe: true };
    let mut sim = sim_with(config, 5);
    sim.set_all_links(0.4, 0.0, None);
    for i in 0..30 {
        sim.like(RegionId::from_index(i % 6).unwrap(), i as Millis * 50).unwrap();
    }
    sim.advance(120_000);
    assert_eq!(reads(&sim), vec![30; 6]);
}

#[test]
fn event_push_without_dedupe_over_counts_when_the_network_duplicates() {
    let config = StrategyConfig::EventPush { anti_entropy_ms: Some(4_000), retry_ms: None, dedupe: false };
    let mut sim = sim_with(config, 9);
    sim.set_all_links(0.0, 0.5, None);
    for i in 0..30 {
        sim.like(RegionId::from_index(i % 6).unwrap(), i as Millis * 50).unwrap();
    }
    sim.advance(60_000);
    let max = *reads(&sim).iter().max().unwrap();
    assert!(max > 30, "expected over-counting, got {:?}", reads(&sim));
    assert!(sim.settle(60_000));
    let v = sim.verdict();
    assert!(v.double_counted.unwrap() > 0, "{v:?}");
    assert_eq!(v.lost, Some(0));
    // The same run with dedupe on is exact.
    let mut exact = sim_with(StrategyConfig::default(), 9);
    exact.set_all_links(0.0, 0.5, None);
    for i in 0..30 {
        exact.like(RegionId::from_index(i % 6).unwrap(), i as Millis * 50).unwrap();
    }
    exact.advance(60_000);
    assert_eq!(reads(&exact), vec![30; 6]);
}

#[test]
fn delta_sync_saves_bytes() {
    let mut full = sim_with(sync(false), 4);
    let mut delta = sim_with(sync(true), 4);
    for sim in [&mut full, &mut delta] {
        for i in 0..20 {
            sim.like(RegionId::from_index(i % 6).unwrap(), i as Millis * 300).unwrap();
        }
        sim.advance(30_000);
        assert_eq!(reads(sim), vec![20; 6]);
    }
    assert!(delta.network().stats().bytes < full.network().stats().bytes);
    assert!(delta.verdict().bytes_saved > 0);
    assert_eq!(full.verdict().bytes_saved, 0);
}

#[test]
fn last_writer_wins_loses_concurrent_likes() {
    let mut sim = sim_with(StrategyConfig::default_for(StrategyKind::LastWriterWins), 3);
    // Every region likes at the same moment, before hearing of the others.
    for r in RegionId::all() {
        sim.like(r, 1_000).unwrap();
    }
    sim.advance(60_000);
    let values = reads(&sim);
    assert!(values.iter().all(|&v| v == values[0]), "it converges: {values:?}");
    assert_eq!(values[0], 1, "to a wrong number: five likes lost");
    let v = sim.verdict();
    assert!(v.settled);
    assert_eq!((v.acknowledged, v.lost, v.double_counted), (6, Some(5), Some(0)));
    assert_eq!(v.lost_to_skew, Some(0), "5 ms of skew cannot reorder writes a second apart");
    assert!(v.visibility.is_none(), "visibility does not apply to last writer wins");
}

#[test]
fn single_writer_never_shows_more_than_the_leader_and_refuses_when_cut_off() {
    let mut sim = sim_with(StrategyConfig::default_for(StrategyKind::SingleWriter), 8);
    let leader = region("virginia");
    sim.set_all_links(0.0, 0.3, Some(400));
    let mut t = 0;
    for i in 0..40u64 {
        t += 97;
        let r = RegionId::from_index((i % 6) as usize).unwrap();
        let out = sim.like(r, t).unwrap();
        assert_eq!(out, if r == leader { Accepted::Now } else { Accepted::Later });
        for step in 0..5 {
            sim.advance(t + step * 20);
            let v = sim.verdict();
            let lead = sim.read(leader);
            assert!(reads(&sim).iter().all(|&x| x <= lead), "{:?}", reads(&sim));
            assert!(lead >= v.acknowledged && lead <= v.acknowledged + v.in_doubt, "{v:?} leader {lead}");
        }
    }
    sim.advance(t + 20_000);
    assert_eq!(sim.read(leader), sim.truth().total, "every forwarded like answered");
    assert_eq!(sim.verdict().in_doubt, 0);
    assert_eq!(reads(&sim), vec![40; 6]);

    // Tokyo cut from the leader (one direction is enough). Tokyo cannot see
    // the cut: it takes a like, which stays in doubt, and only once it has
    // heard nothing for the timeout does it suspect the leader and refuse.
    let tokyo = region("tokyo");
    let t = t + 20_000;
    let mut cut = sim.network().link(leader, tokyo).clone();
    cut.cut = true;
    sim.set_link(leader, tokyo, cut);
    assert!(sim.available(tokyo), "no failure detector is instant");
    assert_eq!(sim.like(tokyo, t + 100), Ok(Accepted::Later));
    assert_eq!(sim.verdict().in_doubt, 1);
    sim.advance(t + 100 + SingleWriter::DEFAULT_TIMEOUT_MS + 1_000);
    assert!(!sim.available(tokyo), "suspected after the timeout");
    assert!(sim.available(region("sydney")));
    assert_eq!(sim.like(tokyo, sim.now()), Err(Refusal::Unavailable(tokyo)));
    assert!(!sim.view().replicas[tokyo.index()].available);
    assert!(!sim.verdict().settled, "a like in doubt is pending");
    sim.heal_all();
    assert!(sim.settle(30_000));
    assert!(sim.available(tokyo));
    let v = sim.verdict();
    assert_eq!((v.in_doubt, v.acknowledged, v.refused, v.lost), (0, 41, 1, Some(0)), "the retried like counted");
    // The leader down: the leader cannot like, and followers refuse once
    // they notice.
    sim.crash(leader);
    assert!(!sim.available(leader));
    sim.advance(sim.now() + SingleWriter::DEFAULT_TIMEOUT_MS + 3_000);
    assert!(RegionId::all().all(|r| !sim.available(r)));
}

#[test]
fn queue_batch_moves_only_at_batch_boundaries() {
    let batch = 2_000;
    let config = StrategyConfig::QueueBatch { batch_ms: batch, writer: region("virginia") };
    let mut sim = sim_with(config, 2);
    let mut last = reads(&sim);
    let mut t = 0;
    let mut likes = 0;
    // Replica values may only change when a publication lands: at a boundary
    // plus the writer's delay to the region (plus jitter).
    while t < 20_000 {
        t += 50;
        if t < 12_000 && t % 150 == 0 {
            sim.like(RegionId::from_index((t / 150 % 6) as usize).unwrap(), t).unwrap();
            likes += 1;
        } else {
            sim.advance(t);
        }
        let now = reads(&sim);
        for r in RegionId::all() {
            if now[r.index()] != last[r.index()] {
                let d = Millis::from(sim.latency().get(region("virginia"), r));
                let since_boundary = (t - d) % batch;
                assert!(
                    since_boundary <= d / 10 + 50,
                    "{r} changed at {t}, {since_boundary} ms after a boundary + delay"
                );
            }
        }
        last = now;
    }
    assert_eq!(reads(&sim), vec![likes; 6]);
    assert!(sim.settle(10_000));
    let timing = sim.verdict().timing.unwrap();
    let reference = timing.reference.unwrap();
    assert!(reference.wait_ms > 0, "the reference waits for the batch: {reference:?}");
    assert!(timing.measured_ms >= timing.reference_ms.unwrap());
}

#[test]
fn queue_batch_writer_down_freezes_counts_then_catches_up() {
    let config = StrategyConfig::QueueBatch { batch_ms: QueueBatch::DEFAULT_BATCH_MS, writer: region("virginia") };
    let mut sim = sim_with(config, 2);
    sim.crash(region("virginia"));
    for i in 0..10 {
        sim.like(region("tokyo"), 100 + i * 10).unwrap();
    }
    sim.advance(30_000);
    assert_eq!(reads(&sim), vec![0; 6], "no job, no count");
    sim.restart(region("virginia"));
    sim.advance(60_000);
    assert_eq!(reads(&sim), vec![10; 6]);
}

/// Shared crash scenario: Sydney takes 4 likes that reach everyone, is
/// isolated, takes 3 more (never shipped), crashes, restarts, is healed.
fn crash_run(config: StrategyConfig, durable: bool) -> Simulation {
    let mut sim = Simulation::new(SimConfig { seed: 6, strategy: config, durable, ..SimConfig::default() });
    let sydney = region("sydney");
    for i in 0..4 {
        sim.like(sydney, 100 + i).unwrap();
    }
    sim.like(region("mumbai"), 200).unwrap();
    sim.advance(10_000);
    sim.isolate(sydney);
    for i in 0..3 {
        sim.like(sydney, 10_100 + i).unwrap();
    }
    sim.advance(12_000);
    let lost = sim.crash(sydney);
    assert_eq!(sim.like(sydney, 12_500), Err(Refusal::Unavailable(sydney)), "a crashed region takes no likes");
    assert_eq!(lost, if durable { 0 } else { 3 });
    sim.advance(14_000);
    sim.restart(sydney);
    sim.heal_all();
    sim.advance(80_000);
    sim
}

#[test]
fn durable_restart_loses_nothing_volatile_restart_loses_the_unshipped() {
    for config in [StrategyConfig::default(), push_retry(true), sync(false), sync(true)] {
        let sim = crash_run(config.clone(), true);
        assert_eq!(sim.truth().total, 8);
        assert_eq!(reads(&sim), vec![8; 6], "durable {config:?}");
        assert_eq!(sim.verdict().lost, Some(0));

        let sim = crash_run(config.clone(), false);
        assert_eq!(reads(&sim), vec![5; 6], "volatile {config:?}");
        let v = sim.verdict();
        assert_eq!((v.lost, v.destroyed_in_crashes), (Some(3), 3));
        let sydney = v.per_origin.iter().find(|j| j.origin == region("sydney")).unwrap();
        assert_eq!((sydney.acknowledged, sydney.lost), (7, 3), "judged where it happened");
    }
    let queue = StrategyConfig::default_for(StrategyKind::QueueBatch);
    assert_eq!(reads(&crash_run(queue.clone(), true)), vec![8; 6]);
    assert_eq!(reads(&crash_run(queue, false)), vec![5; 6]);
}

#[test]
fn switching_strategy_keeps_the_count_and_drops_old_messages() {
    let mut sim = sim_with(StrategyConfig::default(), 1);
    for (i, r) in RegionId::all().enumerate() {
        sim.like(r, 100 + i as Millis).unwrap();
    }
    assert!(sim.network().total_in_flight() > 0);
    let v0 = sim.version();
    sim.set_strategy(StrategyConfig::default_for(StrategyKind::SingleWriter));
    assert!(sim.version() > v0);
    assert_eq!(sim.network().total_in_flight(), 0, "old messages discarded");
    // Seeded from what each replica held: each region its own like so far,
    // the leader all of them (the migration hands it the union).
    assert_eq!(reads(&sim), vec![1, 1, 1, 1, 6, 1], "seeded from the replicas, not the truth");
    assert_eq!(sim.verdict().last_switch.unwrap().dropped_messages, 30);
    sim.like(region("tokyo"), 1_000).unwrap();
    assert!(sim.settle(20_000));
    assert_eq!(reads(&sim), vec![7; 6]);
    assert_eq!(sim.verdict().lost, Some(0), "the dropped pushes carried nothing their senders lacked");
    for kind in StrategyKind::ALL {
        sim.set_strategy(StrategyConfig::default_for(kind));
        sim.like(region("mumbai"), sim.now() + 10).unwrap();
        assert!(sim.settle(30_000), "{kind:?}");
        assert_eq!(sim.verdict().lost, Some(0), "{kind:?}");
    }
}

#[test]
fn a_loss_survives_every_later_switch() {
    let mut sim = sim_with(StrategyConfig::default_for(StrategyKind::LastWriterWins), 3);
    for r in RegionId::all() {
        sim.like(r, 1_000).unwrap();
    }
    assert!(sim.settle(60_000));
    assert_eq!(sim.verdict().lost, Some(5));
    for kind in StrategyKind::ALL {
        sim.set_strategy(StrategyConfig::default_for(kind));
        sim.like(region("mumbai"), sim.now() + 10).unwrap();
        assert!(sim.settle(30_000), "{kind:?}");
        assert_eq!(sim.verdict().lost, Some(5), "the loss survives every switch ({kind:?})");
    }
}

#[test]
fn verdict_times_convergence_against_its_reference() {
    let mut sim = sim_with(StrategyConfig::default(), 1);
    let tokyo = region("tokyo");
    sim.like(tokyo, 100).unwrap();
    assert!(!sim.verdict().settled, "pushes in flight");
    assert!(sim.settle(10_000));
    let v = sim.verdict();
    let slowest = RegionId::all().map(|r| Millis::from(sim.latency().get(tokyo, r))).max().unwrap();
    let timing = v.timing.clone().unwrap();
    assert_eq!(timing.reference_ms, Some(slowest), "the push over the slowest link");
    assert_eq!(timing.reference.as_ref().unwrap().path, "Tokyo → São Paulo");
    assert!(timing.measured_ms >= slowest && timing.measured_ms <= slowest + slowest / 10, "{timing:?}");
    let extra = timing.extra.unwrap();
    assert_eq!(extra.late_ms, 0, "only jitter: {extra:?}");
    let vis = v.visibility.unwrap();
    assert_eq!(vis.samples, 1);
    assert_eq!(vis.max_ms, Some(timing.measured_ms));
    assert_eq!(v.like_messages_per_like, Some(5.0), "five pushes");
    assert_eq!(
        sim.consistency(),
        Consistency::Settled { since: 100 + timing.measured_ms, took_ms: Some(timing.measured_ms), correct: true }
    );
}

#[test]
fn stale_reads_are_sampled_on_simulated_time_not_on_frames() {
    let mut sim = sim_with(StrategyConfig::default(), 1);
    sim.advance(1_000);
    let v = sim.verdict();
    assert_eq!((v.reads, v.stale_reads), (66, 0), "grid points 0, 100, ..., 1 000; six regions");
    sim.like(region("tokyo"), 1_000).unwrap();
    sim.advance(1_099);
    let v = sim.verdict();
    // The point at 1 000 ms was read before the like; none after it yet.
    assert_eq!((v.reads, v.stale_reads), (66, 0));
    sim.advance(1_100);
    let v = sim.verdict();
    assert_eq!((v.reads, v.stale_reads), (72, 5), "five regions have not heard");
    // Reading is not a change: however often a frame is built, nothing moves.
    let before = sim.verdict();
    let _ = sim.view();
    let _ = sim.view();
    assert_eq!(sim.verdict(), before);
}

#[test]
fn old_sim_view_json_still_parses() {
    let sim = Simulation::new(SimConfig::default());
    let mut json: serde_json::Value = serde_json::to_value(sim.view()).unwrap();
    json.as_object_mut().unwrap().remove("verdict");
    for r in json["replicas"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("crashed");
        r.as_object_mut().unwrap().remove("available");
    }
    let back: SimView = serde_json::from_value(json).unwrap();
    assert!(back.replicas.iter().all(|r| r.available && !r.crashed));
    let cfg: SimConfig =
        serde_json::from_str(r#"{"seed":1,"time_scale":1.0,"strategy":{"kind":"event_push","anti_entropy_ms":null}}"#)
            .unwrap();
    assert!(cfg.durable);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random likes and faults (cuts, isolations, crashes, lossy and
    /// duplicating links), then heal everything and let it settle: the CRDT
    /// strategies always end on the ground truth (durable crashes).
    #[test]
    fn crdt_strategies_converge_after_any_fault_schedule(
        seed in any::<u64>(),
        which in 0usize..4,
        steps in proptest::collection::vec((0u8..8, 0..RegionId::COUNT, 0..RegionId::COUNT, 0u64..400), 0..80),
        loss in 0.0f64..0.4,
        duplicate in 0.0f64..0.4,
    ) {
        let config = [StrategyConfig::default(), push_retry(true), sync(false), sync(true)][which].clone();
        let mut sim = sim_with(config, seed);
        sim.set_all_links(loss, duplicate, Some(500));
        let mut t = 0;
        for (op, a, b, gap) in steps {
            t += gap;
            sim.advance(t);
            let (ra, rb) = (RegionId::from_index(a).unwrap(), RegionId::from_index(b).unwrap());
            match op {
                0 => sim.cut(ra, rb),
                1 => sim.isolate(ra),
                2 => sim.heal(ra, rb),
                3 => { sim.crash(ra); }
                4 => sim.restart(ra),
                _ => { let _ = sim.like(ra, t); }
            }
        }
        for r in RegionId::all() {
            sim.restart(r);
        }
        sim.heal_all();
        sim.set_all_links(0.0, 0.0, None);
        sim.advance(t + 60_000);
        let truth = sim.truth().total;
        for r in RegionId::all() {
            prop_assert_eq!(sim.read(r), truth, "region {}", r);
        }
        prop_assert!(sim.settle(60_000));
        let v = sim.verdict();
        prop_assert!(v.lost == Some(0) && v.double_counted == Some(0), "{:?}", v);
    }
}

#[test]
fn switching_while_a_region_is_down_arms_its_timers_once_on_restart() {
    let sync_cfg = StrategyConfig::BackgroundSync { interval_ms: 1_000, delta: false };
    let mut sim = sim_with(StrategyConfig::default(), 3);
    let mumbai = region("mumbai");
    sim.crash(mumbai);
    sim.set_strategy(sync_cfg.clone());
    sim.advance(200);
    sim.restart(mumbai);
    let before = sim.network().stats().messages;
    sim.advance(10_200);
    // Six regions, one full round each per second, five peers each.
    let sent = sim.network().stats().messages - before;
    assert_eq!(sent, 10 * 6 * 5, "{sent} messages: a region runs two timer chains");
    assert!(sim.available(mumbai));
}

#[test]
fn visibility_survives_likes_lost_in_a_crash() {
    let sim = crash_run(StrategyConfig::default_for(StrategyKind::BackgroundSync), false);
    let mut sim = sim;
    let t = sim.now();
    sim.like(region("tokyo"), t + 10).unwrap();
    sim.advance(t + 20_000);
    let v = sim.verdict().visibility.unwrap();
    assert_eq!(v.unseen, 0, "{v:?}");
    assert!(v.samples >= 6);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Single writer under random likes, cuts, crashes (durable), loss and
    /// duplication: no region ever shows more than the leader, the leader
    /// always holds every acknowledged like and nothing beyond the in-doubt
    /// ones, and after healing every region ends on the leader's count.
    #[test]
    fn single_writer_invariants_hold_under_any_fault_schedule(
        seed in any::<u64>(),
        steps in proptest::collection::vec((0u8..8, 0..RegionId::COUNT, 0..RegionId::COUNT, 0u64..400), 0..80),
        loss in 0.0f64..0.3,
        duplicate in 0.0f64..0.3,
    ) {
        let leader = region("virginia");
        let mut sim = sim_with(StrategyConfig::SingleWriter { leader, timeout_ms: SingleWriter::DEFAULT_TIMEOUT_MS }, seed);
        sim.set_all_links(loss, duplicate, Some(500));
        let mut t = 0;
        let check = |sim: &Simulation| -> Result<(), TestCaseError> {
            let v = sim.verdict();
            let lead = sim.read(leader);
            prop_assert!(reads(sim).iter().all(|&x| x <= lead), "{:?} leader {}", reads(sim), lead);
            prop_assert!(lead >= v.acknowledged && lead <= v.acknowledged + v.in_doubt, "{:?}", v);
            Ok(())
        };
        for (op, a, b, gap) in steps {
            for _ in 0..4 {
                t += gap / 4;
                sim.advance(t);
                check(&sim)?;
            }
            let (ra, rb) = (RegionId::from_index(a).unwrap(), RegionId::from_index(b).unwrap());
            match op {
                0 => sim.cut(ra, rb),
                1 => sim.heal(ra, rb),
                2 => { sim.crash(ra); }
                3 => sim.restart(ra),
                _ => {
                    let expect_ok = sim.available(ra);
                    prop_assert_eq!(sim.like(ra, t).is_ok(), expect_ok);
                }
            }
            check(&sim)?;
        }
        for r in RegionId::all() {
            sim.restart(r);
        }
        sim.heal_all();
        sim.set_all_links(0.0, 0.0, None);
        sim.advance(t + 60_000);
        let lead = sim.read(leader);
        prop_assert_eq!(reads(&sim), vec![lead; 6]);
    }
}
