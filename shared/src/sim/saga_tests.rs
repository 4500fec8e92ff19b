//! Super likes in the simulation, against an oracle of their own.
//!
//! The oracle reads only the raw trace of what the services actually ran
//! (`Trace::SagaRan`, recorded the first time a service runs a request) and
//! which super likes a region showed (`Trace::SuperSeen`). From that alone
//! it recomputes every wallet, the coins paid out, the coins in flight and
//! the super likes shown then taken back — without the services' memory,
//! the saga log or the verdict's counters — and the property test compares
//! the verdict with it after every simulation event, under random loss,
//! duplication, cuts, crashes (durable or not), strategy switches and the
//! payouts switch.

use super::oracle::Trace;
use super::*;
use crate::saga::{Action, OPENING_COINS};
use crate::strategy::StrategyKind;
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};
use std::collections::{BTreeMap, BTreeSet};

/// What the trace says about money and super likes.
#[derive(Debug, Default)]
struct Money {
    issued: u64,
    wallets: BTreeMap<PersonId, u64>,
    paid_out: u64,
    /// Sagas holding a debited coin not refunded.
    debited: BTreeSet<u64>,
    /// Sagas whose credit stands.
    credited: BTreeSet<u64>,
    recorded: BTreeSet<u64>,
    taken_back: BTreeSet<u64>,
    seen: BTreeSet<u64>,
}

impl Money {
    fn in_flight(&self) -> u64 {
        self.debited.difference(&self.credited).count() as u64
    }
}

fn money(trace: &[Trace]) -> Money {
    let mut m = Money::default();
    for event in trace {
        match *event {
            Trace::SagaRan { saga, person, action, ok } => {
                if !m.wallets.contains_key(&person) && action == Action::Debit {
                    m.issued += OPENING_COINS;
                    m.wallets.insert(person, OPENING_COINS);
                }
                match action {
                    Action::Debit if ok => {
                        *m.wallets.entry(person).or_default() -= 1;
                        m.debited.insert(saga);
                    }
                    Action::Refund if m.debited.remove(&saga) => *m.wallets.entry(person).or_default() += 1,
                    Action::Credit if ok => {
                        m.paid_out += 1;
                        m.credited.insert(saga);
                    }
                    Action::Uncredit if m.credited.remove(&saga) => m.paid_out -= 1,
                    Action::Record if ok => {
                        m.recorded.insert(saga);
                    }
                    Action::Unrecord if m.recorded.remove(&saga) => {
                        m.taken_back.insert(saga);
                    }
                    _ => {}
                }
            }
            Trace::SuperSeen(saga) => {
                m.seen.insert(saga);
            }
            _ => {}
        }
    }
    m
}

fn region(i: usize) -> RegionId {
    RegionId::from_index(i % RegionId::COUNT).unwrap()
}

/// Checks the verdict's money against the oracle, now.
fn check(sim: &Simulation) -> Result<(), proptest::test_runner::TestCaseError> {
    let Some(v) = sim.verdict().sagas else { return Ok(()) };
    let m = money(&sim.trace);
    prop_assert!(v.conserved, "money not conserved at {}: {:?}", sim.now(), v);
    prop_assert_eq!(v.issued, m.issued, "issued");
    prop_assert_eq!(v.in_wallets, m.wallets.values().sum::<u64>(), "in wallets");
    prop_assert_eq!(v.paid_out, m.paid_out, "paid out");
    prop_assert_eq!(v.in_flight, m.in_flight(), "in flight");
    prop_assert_eq!(v.seen_then_taken_back, m.taken_back.intersection(&m.seen).count() as u64);
    // The trace holds each step's first run only: a step or compensation
    // whose effect the services applied twice leaves its wallet (or the
    // payouts) away from the oracle's.
    for (&p, &coins) in &sim.saga_services().wallets {
        prop_assert_eq!(Some(&coins), m.wallets.get(&p), "wallet of {}", p);
    }
    Ok(())
}

/// Advances to `until` one event at a time, checking after each.
fn step_to(sim: &mut Simulation, until: Millis) -> Result<(), proptest::test_runner::TestCaseError> {
    while let Some(at) = sim.next_event_at().filter(|&at| at <= until) {
        sim.advance(at);
        check(sim)?;
    }
    sim.advance(until);
    check(sim)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Under random faults, crashes and timeouts: money is conserved after
    /// every simulation event and agrees with the oracle; once the network
    /// heals and every region is up, every saga ends done or fully
    /// compensated — except those a volatile crash made its orchestrator
    /// forget, whose coins the verdict counts as stranded — and no step or
    /// compensation ran twice.
    #[test]
    fn super_likes_conserve_money_and_end_done_or_compensated(
        seed in any::<u64>(),
        steps in proptest::collection::vec((0u8..14, 0..RegionId::COUNT, 0..RegionId::COUNT, 0u64..2_500), 0..40),
        loss in 0.0f64..0.4,
        dup in 0.0f64..0.3,
        durable in any::<bool>(),
    ) {
        let mut sim = Simulation::new(SimConfig { seed, durable, ..SimConfig::default() });
        sim.set_all_links(loss, dup, Some(400));
        let mut t = 0;
        let mut volatile_crash = false;
        for &(op, a, b, gap) in &steps {
            t += gap;
            step_to(&mut sim, t)?;
            let (ra, rb) = (region(a), region(b));
            match op {
                0 => sim.cut(ra, rb),
                1 => sim.heal(ra, rb),
                2 => {
                    volatile_crash |= !sim.durable();
                    sim.crash(ra);
                }
                3 => sim.restart(ra),
                4 => sim.set_payouts_open(!sim.payouts_open()),
                5 => sim.set_strategy(StrategyConfig::default_for(StrategyKind::ALL[b % StrategyKind::ALL.len()])),
                6 => sim.isolate(ra),
                _ => {
                    let _ = sim.super_like(ra, (b % 3) as PersonId, t);
                }
            }
            check(&sim)?;
        }
        for r in RegionId::all() {
            sim.restart(r);
        }
        sim.heal_all();
        sim.set_all_links(0.0, 0.0, None);
        step_to(&mut sim, t + 120_000)?;
        let Some(v) = sim.verdict().sagas else { return Ok(()) };
        prop_assert_eq!(v.running, 0, "every saga ended: {:?}", v);
        prop_assert_eq!(v.completed + v.compensated + v.stranded, v.started);
        prop_assert!(volatile_crash || v.stranded == 0, "only a volatile crash strands a saga");
        prop_assert_eq!(v.in_flight, v.stranded_coins, "only stranded coins stay in flight");
        let m = money(&sim.trace);
        // A completed saga is one whose credit stands (a stranded one may
        // have got that far too).
        let credited = m.credited.len() as u64;
        prop_assert!(v.completed <= credited && credited <= v.completed + v.stranded, "{} vs {:?}", credited, v);
        // Every region shows the Likes service's super likes: those of the
        // completed sagas (and of stranded ones that got that far).
        let shown = sim.sagas_view().map(|s| s.super_likes).unwrap_or_default();
        prop_assert!(shown.iter().all(|&n| n == m.recorded.len() as u64), "{:?} vs {}", shown, m.recorded.len());
        prop_assert!(m.credited.is_subset(&m.recorded), "nothing paid without its super like");
    }
}

/// A super like with payouts closed: seen, then taken back, and the coin
/// comes home.
#[test]
fn closed_payouts_compensate_after_everyone_saw_the_super_like() {
    let mut sim = Simulation::new(SimConfig::default());
    sim.record_history(true);
    sim.set_payouts_open(false);
    let tokyo = region(0);
    sim.super_like(tokyo, 7, 100).unwrap();
    sim.advance(60_000);
    let v = sim.verdict().sagas.unwrap();
    assert_eq!((v.started, v.compensated, v.completed, v.running), (1, 1, 0, 0));
    assert_eq!((v.in_wallets, v.paid_out, v.in_flight, v.issued), (3, 0, 0, 3));
    assert_eq!(v.seen_then_taken_back, 1);
    let view = sim.sagas_view().unwrap();
    assert_eq!(view.rows[0].state, "compensated");
    use crate::saga::StepState::*;
    assert_eq!(view.rows[0].steps, [Compensated, Compensated, Failed]);
    assert_eq!(view.super_likes, vec![0; 6], "taken back everywhere");
    let (events, _) = sim.take_history();
    let peaks: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::SuperLikes { values, .. } => Some(values.iter().sum()),
            _ => None,
        })
        .collect();
    assert!(peaks.iter().any(|&n| n > 0) && peaks.last() == Some(&0), "rose and fell: {peaks:?}");
    assert!(events.iter().any(|e| matches!(e, HistoryEvent::TakenBack { saga: 1, .. })));
    assert!(events.iter().any(|e| matches!(e, HistoryEvent::Msg(m) if m.saga && m.label == "credit failed")));
}

/// Open payouts: the coin moves from the wallet to the author.
#[test]
fn a_super_like_pays_the_author_in_sao_paulo() {
    let mut sim = Simulation::new(SimConfig::default());
    sim.super_like(region(1), 7, 0).unwrap();
    sim.advance(60_000);
    let v = sim.verdict().sagas.unwrap();
    assert_eq!((v.completed, v.in_wallets, v.paid_out, v.seen_then_taken_back), (1, 2, 1, 0));
    assert_eq!(sim.sagas_view().unwrap().super_likes, vec![1; 6]);
}

/// A saga's messages are in the view for the map: listed with `saga` set,
/// counted apart from replication traffic, and gone once it is done.
#[test]
fn views_list_saga_messages_apart_from_replication() {
    let mut sim = Simulation::new(SimConfig::default());
    sim.super_like(region(1), 7, 0).unwrap();
    let view = sim.view();
    let steps: Vec<_> = view.packets.iter().filter(|p| p.saga).collect();
    assert_eq!(view.saga_in_flight, 1, "the debit request is on its way");
    assert_eq!(view.in_flight, 0, "no replication traffic yet");
    assert_eq!(steps.len(), 1);
    assert_eq!((steps[0].from, steps[0].to), (region(1), sagas::service_region(Action::Debit)));
    sim.advance(60_000);
    let view = sim.view();
    assert_eq!(view.saga_in_flight, 0);
    assert!(view.packets.iter().all(|p| !p.saga));
}

/// A wallet holds three coins: the fourth super like fails at the debit
/// and nothing is undone.
#[test]
fn no_coins_fails_the_debit() {
    let mut sim = Simulation::new(SimConfig::default());
    for i in 0..4 {
        sim.super_like(region(4), 9, i * 10_000).unwrap();
        sim.advance(i * 10_000 + 9_000);
    }
    let view = sim.sagas_view().unwrap();
    use crate::saga::StepState::*;
    assert_eq!(view.rows[0].steps, [Failed, Skipped, Skipped]);
    assert_eq!(view.wallets, vec![(9, 0)]);
    assert_eq!(sim.verdict().sagas.unwrap().completed, 3);
}

/// The debit's replies are lost: it ran, but the orchestrator cannot know,
/// so at the timeout it compensates — and the refund gives the coin back.
#[test]
fn a_timed_out_debit_that_ran_is_refunded() {
    let mut sim = Simulation::new(SimConfig::default());
    let (tokyo, virginia) = (region(0), region(4));
    // One direction only: Virginia's replies to Tokyo are dropped.
    sim.network_mut().link_mut(virginia, tokyo).cut = true;
    sim.super_like(tokyo, 5, 0).unwrap();
    sim.advance(6_500);
    let row = sim.sagas_view().unwrap().rows[0].clone();
    assert_eq!((row.state.as_str(), row.failed_by.as_deref()), ("running", Some("timeout")), "compensating");
    assert_eq!(sim.saga_services().wallets[&5], 2, "the debit ran");
    sim.heal_all();
    sim.advance(60_000);
    let v = sim.verdict().sagas.unwrap();
    assert_eq!((v.compensated, v.in_wallets, v.in_flight, v.paid_out), (1, 3, 0, 0));
}

/// A debit slower than its timeout: the refund overtakes it and leaves a
/// tombstone, so the late debit is refused instead of taking a coin that
/// nobody would give back.
#[test]
fn a_debit_that_lands_after_its_refund_is_refused() {
    let mut sim = Simulation::new(SimConfig::default());
    let (tokyo, virginia) = (region(0), region(4));
    let slow = crate::kernel::network::LinkConditions::healthy(9_000);
    sim.set_link(tokyo, virginia, slow);
    sim.super_like(tokyo, 5, 0).unwrap();
    sim.advance(6_000);
    sim.reset_link(tokyo, virginia);
    sim.advance(60_000);
    let v = sim.verdict().sagas.unwrap();
    assert_eq!((v.compensated, v.in_flight, v.paid_out), (1, 0, 0));
    assert!(sim.saga_services().wallets.is_empty(), "no debit ever ran: no wallet was opened");
}

/// Without a durable saga log, a crash of the orchestrator forgets its
/// saga: the coin it debited stays in flight, stranded, and the verdict
/// says so; with one, the saga resumes after the restart.
#[test]
fn a_volatile_orchestrator_crash_strands_the_coin_a_durable_one_resumes() {
    for durable in [false, true] {
        let mut sim = Simulation::new(SimConfig { durable, ..SimConfig::default() });
        let tokyo = region(0);
        sim.super_like(tokyo, 5, 0).unwrap();
        // The debit has landed in Virginia (~1.2 s away), its reply not yet back.
        sim.advance(1_500);
        sim.crash(tokyo);
        sim.advance(3_000);
        sim.restart(tokyo);
        sim.advance(60_000);
        let v = sim.verdict().sagas.unwrap();
        assert!(v.conserved);
        if durable {
            assert_eq!((v.completed, v.stranded, v.in_flight), (1, 0, 0));
        } else {
            assert_eq!((v.stranded, v.stranded_coins, v.in_flight, v.in_wallets), (1, 1, 1, 2));
            assert_eq!(sim.sagas_view().unwrap().rows[0].state, "stranded");
        }
    }
}

/// A strategy switch drops the replication messages on the wire, not the
/// sagas'.
#[test]
fn a_strategy_switch_leaves_sagas_running() {
    let mut sim = Simulation::new(SimConfig::default());
    sim.super_like(region(0), 1, 0).unwrap();
    sim.advance(500);
    sim.set_strategy(StrategyConfig::default_for(StrategyKind::ALL[1]));
    sim.advance(60_000);
    assert_eq!(sim.verdict().sagas.unwrap().completed, 1);
}

/// A room's inputs replay to the same sagas (the room log).
#[test]
fn super_likes_replay_deterministically() {
    use crate::protocol::{Command, Control};
    use replay::{replay, Input};
    let inputs = vec![
        Input { at: 100, command: Command::Control(Control::SetPayouts(false)) },
        Input { at: 200, command: Command::SuperLike { region: region(2), person: 3 } },
        Input { at: 20_000, command: Command::Control(Control::SetPayouts(true)) },
        Input { at: 20_100, command: Command::SuperLike { region: region(0), person: 3 } },
    ];
    let a = replay(SimConfig::default(), &inputs, 60_000);
    let b = replay(SimConfig::default(), &inputs, 60_000);
    assert_eq!(a.fingerprint(), b.fingerprint());
    let v = a.verdict().sagas.unwrap();
    assert_eq!((v.compensated, v.completed, v.in_wallets), (1, 1, 2));
}
