//! The room's change log: who changed what, in a sentence each.
//!
//! A shared room changes under everyone's feet: a link is cut, a region
//! crashes, the strategy switches. The numbers on screen then move for a
//! reason nobody in the audience chose, so the room announces every change
//! ("Teal Otter cut Tokyo ⇄ Virginia") in a short log that rides in every
//! frame. The page shows it, and it doubles as the text log a screen reader
//! follows (a polite live region), so it must stay short and calm:
//!
//! - **Bounded**: the last [`ChangeLog::CAPACITY`] entries; older ones fall
//!   off. A frame carries them all, and deltas (see [`super::delta`]) send
//!   only what moved, so an unchanged log costs nothing per frame.
//! - **Not chatty**: the same person doing the same thing again (stepping
//!   the clock ten times) bumps the entry's count instead of adding ten
//!   lines.
//! - **Numbered**: each entry has a number `n` that never repeats within
//!   the room, so a page keys its list by it and a screen reader hears each
//!   new entry once.
//!
//! The sentences are made here, on the server side of the wire, from the
//! validated [`Control`]: a page shows them as they come and needs no copy
//! of the wording. Names come from [`crate::people::name`]: the same name
//! the people bar shows for that person.
//!
//! ```
//! # use shared::protocol::{changes::*, Control, TimeControl};
//! # use shared::region::RegionId;
//! let r = |id| RegionId::parse(id).unwrap();
//! let mut log = ChangeLog::default();
//! log.push(1200, Some("Teal Otter"), describe(&Control::Cut(r("tokyo"), r("virginia")), |_, _| false));
//! log.push(1300, None, describe_time(TimeControl::Pause));
//! let json = serde_json::to_string(&log.entries()).unwrap();
//! assert_eq!(json, r#"[{"n":0,"at":1200,"text":"Teal Otter cut Tokyo ⇄ Virginia"},{"n":1,"at":1300,"text":"Someone paused the clock"}]"#);
//! ```

use super::{Control, TimeControl};
use crate::kernel::Millis;
use crate::region::RegionId;
use crate::strategy::StrategyConfig;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One announced change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Numbers entries within the room; never reused.
    pub n: u64,
    /// The room's simulated time when the change was applied.
    pub at: Millis,
    /// The sentence, who first: "Teal Otter cut Tokyo ⇄ Virginia".
    pub text: String,
    /// How many times in a row the same person made this same change
    /// (omitted when 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The last few changes to a room, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeLog {
    entries: VecDeque<Change>,
    next: u64,
}

impl ChangeLog {
    /// Entries kept (and sent in every frame): enough to read what just
    /// happened, few enough to stay a glance and a small frame.
    pub const CAPACITY: usize = 6;

    /// Records that `who` (a person's name; `None` when the viewer never
    /// said who they are) did `what` at `at`.
    pub fn push(&mut self, at: Millis, who: Option<&str>, what: String) {
        let text = format!("{} {what}", who.unwrap_or("Someone"));
        if let Some(last) = self.entries.back_mut() {
            if last.text == text {
                last.times = last.times.saturating_add(1);
                last.at = at;
                return;
            }
        }
        self.entries.push_back(Change { n: self.next, at, text, times: 1 });
        self.next += 1;
        while self.entries.len() > Self::CAPACITY {
            self.entries.pop_front();
        }
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<Change> {
        self.entries.iter().cloned().collect()
    }
}

fn city(region: RegionId) -> &'static str {
    region.info().city
}

/// What a control did, as the second half of a sentence ("cut Tokyo ⇄
/// Virginia"). A one-way link reads "Tokyo → Virginia". `was_cut` says
/// whether a directed link was cut before the control, so that cutting or
/// healing one direction (a `set_link` that flips only `cut`) reads as a
/// cut or a heal rather than as new conditions.
pub fn describe(control: &Control, was_cut: impl Fn(RegionId, RegionId) -> bool) -> String {
    match control {
        Control::SetStrategy(config) => format!("switched to {}", strategy_name(config)),
        Control::SetLink { from, to, conditions } if conditions.cut && !was_cut(*from, *to) => {
            format!("cut {} → {} (one way)", city(*from), city(*to))
        }
        Control::SetLink { from, to, conditions } if !conditions.cut && was_cut(*from, *to) => {
            format!("healed {} → {} (one way)", city(*from), city(*to))
        }
        Control::SetLink { from, to, .. } => format!("changed the link {} → {}", city(*from), city(*to)),
        Control::ResetLink { from, to } => format!("reset the link {} → {}", city(*from), city(*to)),
        Control::SetAllLinks { loss, duplicate, .. } => {
            format!("set every link to {:.0}% loss, {:.0}% duplicates", loss * 100.0, duplicate * 100.0)
        }
        Control::Cut(a, b) => format!("cut {} ⇄ {}", city(*a), city(*b)),
        Control::Heal(a, b) => format!("healed {} ⇄ {}", city(*a), city(*b)),
        Control::CutOneWay { from, to } => format!("cut {} → {} (one way)", city(*from), city(*to)),
        Control::HealOneWay { from, to } => format!("healed {} → {} (one way)", city(*from), city(*to)),
        Control::Isolate(r) => format!("cut {} off from every region", city(*r)),
        Control::HealAll => "healed every link".to_owned(),
        Control::Crash(r) => format!("crashed {}", city(*r)),
        Control::Restart(r) => format!("restarted {}", city(*r)),
        Control::SetDurable(true) => "turned durable logs on".to_owned(),
        Control::SetDurable(false) => "turned durable logs off".to_owned(),
        Control::SetDataType(t) => format!("switched the data type to {}", t.name()),
        Control::SetReadModel(0) => "set the read model to rebuild on every event".to_owned(),
        Control::SetReadModel(ms) => format!("set the read model to rebuild every {:.1} s", *ms as f64 / 1000.0),
        Control::SetPayouts(true) => "opened the author's payouts".to_owned(),
        Control::SetPayouts(false) => "closed the author's payouts".to_owned(),
    }
}

/// What a time control did ("paused the clock").
pub fn describe_time(control: TimeControl) -> String {
    match control {
        TimeControl::Pause => "paused the clock".to_owned(),
        TimeControl::Resume => "resumed the clock".to_owned(),
        TimeControl::SetSpeed(speed) => format!("set the clock to ×{speed}"),
        TimeControl::Step => "stepped to the next event".to_owned(),
    }
}

/// The strategy's name in lower case, as it reads inside a sentence.
fn strategy_name(config: &StrategyConfig) -> String {
    let name = config.kind().info().name;
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::network::LinkConditions;
    use proptest::prelude::*;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    #[test]
    fn sentences_name_the_regions_and_the_direction() {
        let never = |_, _| false;
        assert_eq!(describe(&Control::Cut(r("tokyo"), r("virginia")), never), "cut Tokyo ⇄ Virginia");
        let cut = LinkConditions { cut: true, ..LinkConditions::healthy(900) };
        let one_way = Control::SetLink { from: r("tokyo"), to: r("virginia"), conditions: cut.clone() };
        assert_eq!(describe(&one_way, never), "cut Tokyo → Virginia (one way)");
        let open = Control::SetLink { from: r("tokyo"), to: r("virginia"), conditions: LinkConditions::healthy(900) };
        assert_eq!(describe(&open, |a, b| (a, b) == (r("tokyo"), r("virginia"))), "healed Tokyo → Virginia (one way)");
        assert_eq!(describe(&open, never), "changed the link Tokyo → Virginia");
        assert_eq!(describe(&Control::Crash(r("mumbai")), never), "crashed Mumbai");
        let lww = StrategyConfig::default_for(crate::strategy::StrategyKind::LastWriterWins);
        assert_eq!(describe(&Control::SetStrategy(lww), never), "switched to last writer wins (on the total)");
        assert_eq!(describe_time(TimeControl::SetSpeed(0.5)), "set the clock to ×0.5");
    }

    #[test]
    fn repeats_are_counted_not_listed() {
        let mut log = ChangeLog::default();
        for at in 0..10 {
            log.push(at, Some("Teal Otter"), describe_time(TimeControl::Step));
        }
        let entries = log.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].times, entries[0].at), (10, 9));
        // Someone else doing the same is news.
        log.push(10, Some("Plum Yak"), describe_time(TimeControl::Step));
        assert_eq!(log.entries().len(), 2);
    }

    proptest! {
        /// Whatever happens, the log holds at most CAPACITY entries, its
        /// numbers strictly increase, and the newest change is last.
        #[test]
        fn the_log_is_bounded_and_numbered_in_order(ops in proptest::collection::vec((0u8..3, 0u8..3), 0..60)) {
            let mut log = ChangeLog::default();
            let names = ["Teal Otter", "Plum Yak", "Jade Ibis"];
            let whats = ["paused the clock", "crashed Tokyo", "healed every link"];
            for (i, (who, what)) in ops.iter().enumerate() {
                log.push(i as Millis, Some(names[*who as usize]), whats[*what as usize].to_owned());
                let entries = log.entries();
                prop_assert!(entries.len() <= ChangeLog::CAPACITY);
                prop_assert!(entries.windows(2).all(|w| w[0].n < w[1].n));
                let last = entries.last().unwrap();
                prop_assert_eq!(&last.text, &format!("{} {}", names[*who as usize], whats[*what as usize]));
                prop_assert_eq!(last.at, i as Millis);
            }
        }
    }
}
