//! Losses said where they happen: a short note on a region's card at the
//! moment its replica loses information.
//!
//! The verdict tells the totals once the room settles; a learner also needs
//! to see *the moment* Sydney went from 2 to 1. Both notes are read off
//! consecutive frames, from data the server really sends, and say no more
//! than it shows:
//! - **Overwritten** (last writer wins only, the one strategy whose replica
//!   count can go down while it is up): the count fell between two frames.
//!   The sender is named only when exactly one listed message to this
//!   region was due in between; otherwise the note says "a newer total".
//! - **Lost in the crash**: the region went down in this frame and the
//!   verdict's "destroyed in crashes" rose by `k` in the same frame.
//!
//! A note stays for [`NOTE_MS`] and then goes.

use crate::app::Conn;
use crate::connection::Received;
use crate::format::count_of;
use crate::when::When;
use leptos::prelude::*;
use shared::region::RegionId;
use shared::strategy::StrategyKind;
use std::time::Duration;

const NOTE_MS: u64 = 6_000;

/// What one frame says about one region, for comparing with the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    now_ms: u64,
    value: u64,
    crashed: bool,
    destroyed: u64,
    lww: bool,
    /// Senders and due times of the listed, not-lost messages to the region.
    incoming: Vec<(RegionId, u64)>,
}

impl Seen {
    pub fn of(r: &Received, id: RegionId) -> Option<Seen> {
        let sim = &r.frame.sim;
        let replica = sim.replicas.iter().find(|x| x.region == id)?;
        Some(Seen {
            now_ms: sim.now_ms,
            value: replica.value,
            crashed: replica.crashed,
            destroyed: sim.verdict.destroyed_in_crashes,
            lww: sim.strategy == StrategyKind::LastWriterWins,
            incoming: sim.packets.iter().filter(|p| p.to == id && !p.lost).map(|p| (p.from, p.arrive_at)).collect(),
        })
    }
}

/// The note a change from `before` to `after` deserves, if any.
pub fn note(before: &Seen, after: &Seen) -> Option<String> {
    if !before.crashed && after.crashed {
        let k = after.destroyed.saturating_sub(before.destroyed);
        return (k > 0).then(|| format!("Lost in the crash: {} only it held", count_of(k, "like", "likes")));
    }
    if before.lww && after.lww && !before.crashed && !after.crashed && after.value < before.value {
        let mut senders: Vec<RegionId> = before
            .incoming
            .iter()
            .filter(|(_, due)| *due > before.now_ms && *due <= after.now_ms)
            .map(|(from, _)| *from)
            .collect();
        senders.dedup();
        let whose = match senders.as_slice() {
            [one] => format!("{}'s", one.info().city),
            _ => "a".to_owned(),
        };
        return Some(format!("Overwritten by {whose} newer-stamped total: {} → {}", before.value, after.value));
    }
    None
}

#[component]
pub fn LossNote(conn: Conn, id: RegionId) -> impl IntoView {
    let shown = RwSignal::new(None::<(u32, String)>);
    Effect::new(move |before: Option<Option<Seen>>| {
        let after = conn.frame.with(|r| r.as_ref().and_then(|r| Seen::of(r, id)));
        if let (Some(Some(b)), Some(a)) = (&before, &after) {
            if let Some(text) = note(b, a) {
                let serial = shown.with_untracked(|s| s.as_ref().map_or(0, |(n, _)| n + 1));
                shown.set(Some((serial, text)));
                set_timeout(
                    move || {
                        if shown.with_untracked(|s| s.as_ref().is_some_and(|(n, _)| *n == serial)) {
                            shown.try_set(None);
                        }
                    },
                    Duration::from_millis(NOTE_MS),
                );
            }
        }
        after
    });
    view! {
        <When when=move || shown.with(Option::is_some)>
            <p class="loss-note" data-role="loss-note" role="status">
                {move || shown.with(|s| s.as_ref().map(|(_, t)| t.clone()).unwrap_or_default())}
            </p>
        </When>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    fn seen(now_ms: u64, value: u64) -> Seen {
        Seen { now_ms, value, crashed: false, destroyed: 0, lww: true, incoming: Vec::new() }
    }

    #[test]
    fn an_overwrite_names_the_only_sender_due_in_between() {
        let before = Seen { incoming: vec![(r("virginia"), 1_500), (r("tokyo"), 9_000)], ..seen(1_000, 2) };
        let after = seen(2_000, 1);
        assert_eq!(note(&before, &after).as_deref(), Some("Overwritten by Virginia's newer-stamped total: 2 → 1"));
    }

    #[test]
    fn an_overwrite_with_two_candidates_names_none() {
        let before = Seen { incoming: vec![(r("virginia"), 1_500), (r("tokyo"), 1_600)], ..seen(1_000, 2) };
        assert_eq!(note(&before, &seen(2_000, 1)).as_deref(), Some("Overwritten by a newer-stamped total: 2 → 1"));
    }

    #[test]
    fn only_last_writer_wins_overwrites_and_a_rise_is_no_loss() {
        assert_eq!(note(&seen(0, 1), &seen(10, 2)), None);
        let crdt = |v| Seen { lww: false, ..seen(0, v) };
        assert_eq!(note(&crdt(2), &crdt(1)), None);
    }

    #[test]
    fn a_crash_reports_exactly_what_the_verdict_counts_as_destroyed() {
        let before = Seen { destroyed: 1, ..seen(0, 3) };
        let after = Seen { crashed: true, destroyed: 3, ..seen(10, 3) };
        assert_eq!(note(&before, &after).as_deref(), Some("Lost in the crash: 2 likes only it held"));
        let nothing = Seen { crashed: true, destroyed: 1, ..seen(10, 3) };
        assert_eq!(note(&before, &nothing), None);
    }
}
