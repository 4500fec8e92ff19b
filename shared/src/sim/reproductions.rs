//! One test per false statement the lab used to make (issue "The lab tells
//! the truth", items 1–12), each reproduced as a user would, plus the
//! timing properties: measured convergence is never below its reference,
//! and equals it on a network with no loss and no jitter.

use super::*;
use crate::protocol::view::Consistency;
use crate::protocol::{parse_client_message, ErrorCode};
use crate::strategy::{EventPush, LastWriterWins, SingleWriter, StrategyKind};
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};

fn region(id: &str) -> RegionId {
    RegionId::parse(id).unwrap()
}

fn room(strategy: StrategyConfig) -> Simulation {
    Simulation::new(SimConfig { seed: 7, strategy, ..SimConfig::default() })
}

/// Item 1: Queue + batch, one like: until the batch, every region shows 0 and
/// they "agree" — that is not a settled room and nothing is lost.
#[test]
fn one_like_waiting_for_the_batch_is_pending_not_lost() {
    let mut sim = room(StrategyConfig::default_for(StrategyKind::QueueBatch));
    sim.like(region("tokyo"), 100).unwrap();
    for t in (200..2_900).step_by(100) {
        sim.advance(t);
        let v = sim.verdict();
        assert!(!v.settled && v.lost.is_none(), "{v:?}");
        assert!(v.pending.iter().any(|p| p.what.contains("waiting for the 3 s batch")), "{:?}", v.pending);
    }
    assert!(sim.settle(20_000));
    assert_eq!((sim.verdict().lost, sim.verdict().double_counted), (Some(0), Some(0)));
}

/// Item 2: Event push, likes in several regions in the same instant: momentary
/// agreement is not settlement; whenever the room counts as settled, it is
/// right.
#[test]
fn momentary_agreement_is_not_settlement() {
    let mut sim = room(StrategyConfig::default());
    for r in RegionId::all() {
        sim.like(r, 1_000).unwrap();
    }
    for t in (1_000..10_000).step_by(10) {
        sim.advance(t);
        let v = sim.verdict();
        if v.settled {
            assert_eq!(v.lost, Some(0), "at {t}: {v:?}");
        } else {
            assert_eq!(v.lost, None);
        }
    }
    assert!(sim.verdict().settled);
}

/// Item 4: Switching strategy erases nothing: a loss stays, and likes in doubt
/// end acknowledged or refused, with the outcome on record.
#[test]
fn a_switch_settles_likes_in_doubt_and_says_so() {
    let mut sim = room(StrategyConfig::default_for(StrategyKind::SingleWriter));
    let tokyo = region("tokyo");
    sim.like(tokyo, 100).unwrap();
    sim.advance(5_000);
    sim.cut(tokyo, region("virginia"));
    sim.like(tokyo, 5_000).unwrap();
    assert_eq!(sim.verdict().in_doubt, 1, "the first like was answered, the second cannot be");
    sim.advance(5_100);
    sim.set_strategy(StrategyConfig::default());
    let v = sim.verdict();
    assert_eq!((v.in_doubt, v.acknowledged, v.refused), (0, 1, 1));
    let note = v.last_switch.unwrap();
    assert_eq!((note.from, note.to, note.resolved_refused), (StrategyKind::SingleWriter, StrategyKind::EventPush, 1));
    sim.heal_all();
    assert!(sim.settle(30_000));
    assert_eq!((sim.verdict().lost, sim.verdict().double_counted), (Some(0), Some(0)));
}

/// Item 5: A volatile leader crash rolls back the count *and* the record of
/// what it applied, together: a like only the leader held is gone (and
/// judged lost), while a follower's like survives in the follower's own
/// log and is applied again when it re-sends it.
#[test]
fn a_leader_that_forgot_applies_the_retry_again() {
    let mut sim = Simulation::new(SimConfig {
        seed: 3,
        strategy: StrategyConfig::default_for(StrategyKind::SingleWriter),
        durable: false,
        ..SimConfig::default()
    });
    let (tokyo, virginia) = (region("tokyo"), region("virginia"));
    // The leader applies but cannot answer or publish.
    for r in RegionId::all().filter(|&r| r != virginia) {
        let mut c = sim.link(virginia, r).clone();
        c.loss = 1.0;
        sim.set_link(virginia, r, c);
    }
    sim.like(tokyo, 100).unwrap();
    sim.like(virginia, 150).unwrap();
    sim.advance(2_000);
    assert_eq!(sim.read(virginia), 2, "both applied at the leader");
    assert_eq!(sim.crash(virginia), 1, "its own like: only it held it");
    assert_eq!(sim.tally(virginia).get(tokyo), 1, "Tokyo's like comes back from Tokyo's log");
    for r in RegionId::all().filter(|&r| r != virginia) {
        sim.reset_link(virginia, r);
    }
    sim.restart(virginia);
    assert!(sim.settle(60_000));
    let v = sim.verdict();
    assert_eq!((v.acknowledged, v.lost, v.double_counted), (2, Some(1), Some(0)), "{v:?}");
    let tokyo_judged = v.per_origin.iter().find(|j| j.origin == tokyo).unwrap();
    assert_eq!((tokyo_judged.lost, tokyo_judged.fewest_held), (0, 1), "the retried like counts");
}

/// Item 6: A volatile crash does not resurrect a like whose only copy left on a
/// cut link (it never travelled).
#[test]
fn a_message_dropped_on_a_cut_link_does_not_survive_a_crash() {
    let mut sim = Simulation::new(SimConfig { seed: 2, durable: false, ..SimConfig::default() });
    let sydney = region("sydney");
    sim.isolate(sydney);
    sim.like(sydney, 100).unwrap();
    sim.advance(5_000);
    assert_eq!(sim.crash(sydney), 1, "sent into cut links only: destroyed");
    sim.restart(sydney);
    sim.heal_all();
    assert!(sim.settle(60_000));
    let v = sim.verdict();
    assert_eq!((v.lost, v.destroyed_in_crashes), (Some(1), 1));
    assert_eq!(sim.read(sydney), 0);
}

/// Item 7: A loss in one place and a double count in another do not cancel.
#[test]
fn losses_and_double_counts_do_not_cancel() {
    let config = StrategyConfig::EventPush { anti_entropy_ms: Some(4_000), retry_ms: None, dedupe: false };
    let mut sim = Simulation::new(SimConfig { seed: 4, strategy: config, durable: false, ..SimConfig::default() });
    let (tokyo, mumbai) = (region("tokyo"), region("mumbai"));
    // Tokyo's likes are duplicated on the way; Mumbai's are destroyed.
    for r in RegionId::all().filter(|&r| r != tokyo) {
        let mut c = sim.link(tokyo, r).clone();
        c.duplicate = 1.0;
        sim.set_link(tokyo, r, c);
    }
    for i in 0..3 {
        sim.like(tokyo, 100 + i).unwrap();
    }
    sim.isolate(mumbai);
    for i in 0..3 {
        sim.like(mumbai, 200 + i).unwrap();
    }
    assert_eq!(sim.crash(mumbai), 3);
    sim.restart(mumbai);
    sim.heal_all();
    assert!(sim.settle(120_000));
    let v = sim.verdict();
    // The total is 6 acknowledged against 6+ counted: only per origin do
    // both mistakes show.
    assert_eq!(v.lost, Some(3), "{v:?}");
    assert!(v.double_counted.unwrap() >= 3, "{v:?}");
    assert!(!matches!(sim.consistency(), Consistency::Settled { correct: true, .. }));
}

/// Item 7b: With de-duplication off, retries and gossip feed each other: every
/// re-send adds one more, gossip brings the inflated count back to the
/// origin, and the origin re-sends again. The room never settles, and the
/// verdict says what it is still waiting for instead of judging.
#[test]
fn retries_without_dedupe_never_settle_and_say_why() {
    let config = StrategyConfig::EventPush {
        anti_entropy_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS),
        retry_ms: Some(EventPush::DEFAULT_RETRY_MS),
        dedupe: false,
    };
    let mut sim = room(config);
    let mut c = sim.link(region("tokyo"), region("sydney")).clone();
    c.duplicate = 1.0;
    sim.set_link(region("tokyo"), region("sydney"), c);
    sim.like(region("tokyo"), 100).unwrap();
    assert!(!sim.settle(120_000));
    let v = sim.verdict();
    assert!(v.lost.is_none() && !v.pending.is_empty(), "{v:?}");
    assert!(RegionId::all().any(|r| sim.read(r) > 2), "the count keeps climbing");
}

/// Item 8: Single-writer visibility is timed from the click, not from the
/// acknowledgement: at least the way to the leader and back.
#[test]
fn single_writer_visibility_starts_at_the_click() {
    let mut sim = room(StrategyConfig::default_for(StrategyKind::SingleWriter));
    let (sydney, virginia) = (region("sydney"), region("virginia"));
    sim.like(sydney, 100).unwrap();
    assert!(sim.settle(20_000));
    let vis = sim.verdict().visibility.unwrap();
    let round_trip = Millis::from(sim.latency().get(sydney, virginia) + sim.latency().get(virginia, sydney));
    assert!(vis.max_ms.unwrap() >= round_trip, "{vis:?} vs {round_trip}");
}

/// Item 9: An hour at 10 likes/s with one region down and retries on: the
/// agenda and the message rate stay flat (acks are high-water marks, a
/// retry is one message per lagging peer, sends to a down region are
/// refused at once).
#[test]
fn an_hour_with_a_region_down_keeps_flat_memory_and_traffic() {
    let config = StrategyConfig::EventPush {
        anti_entropy_ms: Some(EventPush::DEFAULT_ANTI_ENTROPY_MS),
        retry_ms: Some(EventPush::DEFAULT_RETRY_MS),
        dedupe: true,
    };
    let mut sim = room(config);
    sim.crash(region("mumbai"));
    let mut samples = Vec::new();
    let mut last_messages = 0;
    for minute in 1..=60u64 {
        for i in 0..600u64 {
            let t = (minute - 1) * 60_000 + i * 100;
            let r = RegionId::from_index((i % 6) as usize).unwrap();
            let _ = sim.like(r, t);
        }
        sim.advance(minute * 60_000);
        let messages = sim.network().stats().messages;
        samples.push((sim.agenda_len(), messages - last_messages));
        last_messages = messages;
    }
    let (agenda_10, rate_10) = samples[9];
    let (agenda_60, rate_60) = samples[59];
    let within = |a: usize, b: usize| (a as f64 - b as f64).abs() <= 0.1 * a as f64;
    assert!(within(agenda_10, agenda_60), "agenda {agenda_10} -> {agenda_60}");
    assert!(within(rate_10 as usize, rate_60 as usize), "messages per minute {rate_10} -> {rate_60}");
}

/// Item 10: A retry period below the round trip it must exceed is refused.
#[test]
fn a_retry_faster_than_a_round_trip_is_refused() {
    let text = r#"{"type":"set_strategy","config":{"kind":"event_push","anti_entropy_ms":4000,"retry_ms":2000}}"#;
    assert_eq!(parse_client_message(text).unwrap_err().code, ErrorCode::InvalidValue);
    assert!(EventPush::MIN_RETRY_MS >= 2 * Millis::from(LatencyMatrix::from_geography(1.0).max()));
}

/// Item 12a: Last writer wins with a clock running ahead: a newer write is
/// overwritten by an older one, and the verdict blames the skew.
#[test]
fn a_skewed_clock_eats_a_newer_like() {
    let config = StrategyConfig::LastWriterWins { resend_ms: Some(4_000), skew_ms: 2_000 };
    let mut sim = room(config);
    let (tokyo, frankfurt) = (region("tokyo"), region("frankfurt"));
    // Tokyo's clock is 2 s ahead, Frankfurt's 2 s behind. Tokyo likes; a
    // second later Frankfurt likes, before hearing of it.
    sim.like(tokyo, 1_000).unwrap();
    sim.like(frankfurt, 1_200).unwrap();
    assert!(sim.settle(60_000));
    let v = sim.verdict();
    assert_eq!(v.lost, Some(1));
    assert_eq!(v.lost_to_skew, Some(1), "the newer write lost to a clock ahead: {v:?}");
    assert_eq!(sim.read(frankfurt), 1);
    assert_eq!(LastWriterWins::clock_offset(2_000, tokyo), 2_000);
}

/// Item 12b: The single writer's followers suspect by timeout, and a slow link
/// makes a follower suspect a leader that is up: it refuses likes anyway.
#[test]
fn a_slow_leader_is_suspected_and_likes_are_refused() {
    let mut sim = room(StrategyConfig::default_for(StrategyKind::SingleWriter));
    let (tokyo, virginia) = (region("tokyo"), region("virginia"));
    sim.advance(10_000);
    let mut slow = sim.link(virginia, tokyo).clone();
    slow.latency_ms = 9_000;
    sim.set_link(virginia, tokyo, slow);
    sim.advance(10_000 + SingleWriter::DEFAULT_TIMEOUT_MS + 2_000);
    assert!(!sim.is_crashed(virginia) && !sim.available(tokyo), "falsely suspected");
    assert!(sim.like(tokyo, sim.now()).is_err());
    // Heartbeats keep coming, only late: the suspicion lifts.
    sim.advance(sim.now() + 6_000);
    assert!(sim.available(tokyo));
}

fn clean_configs() -> Vec<StrategyConfig> {
    vec![
        StrategyConfig::default(),
        StrategyConfig::default_for(StrategyKind::BackgroundSync),
        StrategyConfig::BackgroundSync { interval_ms: 1_500, delta: true },
        StrategyConfig::default_for(StrategyKind::QueueBatch),
        StrategyConfig::default_for(StrategyKind::SingleWriter),
        StrategyConfig::LastWriterWins { resend_ms: Some(4_000), skew_ms: 0 },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Item 3: Measured convergence is never below its reference, whatever the
    /// strategy, the faults and the seed.
    #[test]
    fn measured_convergence_is_never_below_its_reference(
        seed in any::<u64>(),
        which in 0usize..6,
        likes in proptest::collection::vec((0..RegionId::COUNT, 0u64..1_500, 0u8..10), 1..25),
        loss in 0.0f64..0.3,
        dup in 0.0f64..0.3,
    ) {
        let config = clean_configs()[which].clone();
        let mut sim = Simulation::new(SimConfig { seed, strategy: config, ..SimConfig::default() });
        sim.set_all_links(loss, dup, None);
        let mut t = 0;
        for (r, gap, op) in likes {
            t += gap;
            sim.advance(t);
            let r = RegionId::from_index(r).unwrap();
            match op {
                0 => sim.cut(r, RegionId::from_index((r.index() + 1) % 6).unwrap()),
                1 => sim.heal_all(),
                _ => { let _ = sim.like(r, t); }
            }
            if sim.verdict().settled {
                let timing = sim.verdict().timing;
                if let Some(timing) = timing {
                    if let Some(reference) = timing.reference_ms {
                        prop_assert!(timing.measured_ms >= reference, "{:?}", timing);
                    }
                }
            }
        }
        sim.heal_all();
        prop_assert!(sim.settle(300_000));
        let timing = sim.verdict().timing.unwrap();
        prop_assert!(timing.reference_ms.is_some(), "a heal always yields a reference: {:?}", timing);
        prop_assert!(timing.measured_ms >= timing.reference_ms.unwrap(), "{:?}", timing);
    }

    /// Item 3: On a network with no loss and no jitter, measured convergence
    /// equals its reference: the reference is the schedule itself.
    #[test]
    fn on_a_clean_network_measured_equals_the_reference(
        seed in any::<u64>(),
        which in 0usize..6,
        likes in proptest::collection::vec((0..RegionId::COUNT, 0u64..2_000), 1..12),
    ) {
        let config = clean_configs()[which].clone();
        let mut sim = Simulation::new(SimConfig { seed, strategy: config, ..SimConfig::default() });
        sim.set_all_links(0.0, 0.0, Some(0));
        let mut t = 1;
        for (r, gap) in likes {
            t += gap;
            sim.like(RegionId::from_index(r).unwrap(), t).unwrap();
        }
        prop_assert!(sim.settle(120_000));
        let timing = sim.verdict().timing.unwrap();
        prop_assert_eq!(Some(timing.measured_ms), timing.reference_ms, "{:?}", timing);
        prop_assert!(timing.extra.is_none());
    }
}

/// Item 3b: a lost push is not timed against the push: its reference is
/// the next anti-entropy round that can carry the like.
#[test]
fn a_lost_push_is_timed_against_the_gossip_that_repairs_it() {
    let mut sim = room(StrategyConfig::default());
    let (tokyo, sydney) = (region("tokyo"), region("sydney"));
    sim.set_all_links(0.0, 0.0, Some(0));
    // Tokyo -> Sydney is cut one way: the push is dropped at once, and the
    // like must go around, by gossip.
    let mut c = sim.link(tokyo, sydney).clone();
    c.cut = true;
    sim.set_link(tokyo, sydney, c);
    sim.like(tokyo, 100).unwrap();
    assert!(sim.settle(60_000));
    let timing = sim.verdict().timing.unwrap();
    let reference = timing.reference.clone().unwrap();
    assert_eq!(reference.mechanism, "gossip after a lost push", "{timing:?}");
    assert!(reference.wait_ms > 0, "it waits for a round: {reference:?}");
    assert!(timing.measured_ms >= timing.reference_ms.unwrap());
    assert_eq!(sim.read(sydney), 1);
}
