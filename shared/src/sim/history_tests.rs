//! Tests of the history stream the simulation records for viewers (see
//! [`crate::protocol::history`]): every message appears once with both
//! ends, in agreement with the network's own counters, and markers, likes
//! and counts are where the inputs put them.

use super::*;
use crate::kernel::network::LinkConditions;
use crate::protocol::history::{Fate, HistoryEvent, MarkKind, MsgEvent};
use crate::protocol::Control;

fn region(id: &str) -> RegionId {
    RegionId::parse(id).unwrap()
}

/// A room with gossip off, so only a like's own traffic is on the wire.
fn quiet_room() -> Simulation {
    let strategy = StrategyConfig::EventPush { anti_entropy_ms: None, retry_ms: None, dedupe: true };
    let mut sim = Simulation::new(SimConfig { strategy, ..SimConfig::default() });
    sim.record_history(true);
    sim
}

fn msgs(events: &[HistoryEvent]) -> Vec<&MsgEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::Msg(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn a_like_records_one_arrow_per_message_the_network_carried() {
    let mut sim = quiet_room();
    let tokyo = region("tokyo");
    sim.like(tokyo, 100).unwrap();
    assert!(sim.settle(10_000));
    let (events, dropped) = sim.take_history();
    assert_eq!(dropped, 0);
    let m = msgs(&events);
    // As many arrows as messages the network counted, all delivered.
    assert_eq!(m.len() as u64, sim.network().stats().messages);
    assert!(m.iter().all(|m| m.fate == Fate::Delivered && m.like));
    let pushes: Vec<_> = m.iter().filter(|m| m.label == "like" && m.from == tokyo).collect();
    assert_eq!(pushes.len(), RegionId::COUNT - 1, "one push to every other region");
    for p in &pushes {
        assert_eq!(p.sent_at, 100);
        assert!(p.end_at - p.sent_at >= Millis::from(sim.latency().get(tokyo, p.to)), "{p:?}");
        assert!(p.merged, "the push changed {}'s count", p.to);
    }
    let likes = events.iter().filter(|e| matches!(e, HistoryEvent::Like { ok: true, at: 100, .. })).count();
    assert_eq!(likes, 1);
    // The last counts are everyone at 1, the truth 1; the first is Tokyo alone.
    let counts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::Counts { values, truth, .. } => Some((*values, *truth)),
            _ => None,
        })
        .collect();
    assert_eq!(counts.last(), Some(&([1; RegionId::COUNT], 1)));
    assert_eq!(counts.first().map(|c| c.0.iter().sum::<u64>()), Some(1));
    // Drained: nothing twice.
    assert!(sim.take_history().0.is_empty());
}

#[test]
fn cut_lost_and_duplicated_messages_are_told_apart() {
    let mut sim = quiet_room();
    let (tokyo, virginia, sydney) = (region("tokyo"), region("virginia"), region("sydney"));
    sim.apply(Control::Cut(tokyo, virginia));
    let lossy = LinkConditions { loss: 1.0, ..sim.network().link(tokyo, sydney).clone() };
    sim.apply(Control::SetLink { from: tokyo, to: sydney, conditions: lossy });
    let doubled = LinkConditions { duplicate: 1.0, ..sim.network().link(tokyo, region("mumbai")).clone() };
    sim.apply(Control::SetLink { from: tokyo, to: region("mumbai"), conditions: doubled });
    sim.like(tokyo, 50).unwrap();
    sim.advance(10_000);
    let (events, _) = sim.take_history();
    let marks: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::Mark { what, a, .. } => Some((*what, *a)),
            _ => None,
        })
        .collect();
    assert_eq!(marks, [(MarkKind::Cut, Some(tokyo)), (MarkKind::Links, Some(tokyo)), (MarkKind::Links, Some(tokyo))]);
    let pushes: Vec<_> = msgs(&events).into_iter().filter(|m| m.label == "like").collect();
    let to = |r: RegionId| pushes.iter().filter(|m| m.to == r).collect::<Vec<_>>();
    assert!(matches!(to(virginia)[..], [m] if m.fate == Fate::Refused && m.end_at == m.sent_at));
    assert!(matches!(to(sydney)[..], [m] if m.fate == Fate::Lost && m.end_at > m.sent_at));
    let mumbai = to(region("mumbai"));
    assert_eq!(mumbai.len(), 2, "a duplicated message is drawn twice");
    assert_eq!(mumbai.iter().filter(|m| m.dup).count(), 1);
}

#[test]
fn a_crash_loses_what_was_on_its_way_and_is_marked() {
    let mut sim = quiet_room();
    let (tokyo, saopaulo) = (region("tokyo"), region("saopaulo"));
    sim.like(tokyo, 0).unwrap();
    sim.advance(200);
    sim.apply(Control::Crash(saopaulo));
    sim.advance(5_000);
    let (events, _) = sim.take_history();
    assert!(events.iter().any(|e| matches!(e, HistoryEvent::Mark { what: MarkKind::Crash, at: 200, .. })));
    let to_sp: Vec<_> = msgs(&events).into_iter().filter(|m| m.to == saopaulo).collect();
    assert!(matches!(to_sp[..], [m] if m.fate == Fate::Lost), "{to_sp:?}");
}

#[test]
fn nothing_is_recorded_unless_asked() {
    let mut sim = Simulation::new(SimConfig::default());
    sim.like(region("tokyo"), 0).unwrap();
    sim.advance(5_000);
    assert!(sim.take_history().0.is_empty());
}
