//! One link, tuned by hand: pick two regions and give the link between them
//! its own delay, jitter, loss and duplication (one way or both ways).
//!
//! Real networks are not uniform. A flaky transoceanic cable next to a
//! healthy backbone is what makes the patterns differ most: event push
//! retries around the bad link, background sync routes the state through a
//! third region, single writer stalls every region whose path to the leader
//! crosses it. A room-wide slider cannot show that; this can.
//!
//! A link given conditions of its own ignores the room-wide sliders until it
//! is reset. The server lists such links in every frame (`faults.custom`);
//! every other link is the room-wide settings over its base delay, so the
//! editor always starts from what the room really runs
//! ([`FaultView::link`]). Edits are a local draft until "Apply": dragging
//! four sliders is then one change to the room, not dozens.

use crate::app::Conn;
use crate::fault_controls::{jitter_text, percent_of, MAX_JITTER_MS};
use crate::format::{duration, percent};
use crate::keyed_list::keyed_list;
use crate::knobs::{RangeKnob, RegionSelect};
use crate::lab::Lab;
use crate::when::When;
use leptos::prelude::*;
use shared::kernel::network::LinkConditions;
use shared::protocol::view::LinkSetting;
use shared::protocol::ClientMessage;
use shared::region::RegionId;

/// The delay slider's range, in simulated ms. The protocol allows up to a
/// minute; ten seconds already dwarfs every real link.
const MIN_DELAY_MS: u32 = 50;
const MAX_DELAY_MS: u32 = 10_000;

/// What the editor's sliders hold: a link's conditions without its cut
/// state (partitions have their own controls), probabilities as whole
/// percentages so a slider notch is an exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    pub latency_ms: u32,
    pub jitter_ms: u32,
    pub loss_pct: u32,
    pub duplicate_pct: u32,
}

impl Tuning {
    pub fn of(c: &LinkConditions) -> Tuning {
        Tuning {
            latency_ms: c.latency_ms,
            jitter_ms: c.jitter_ms,
            loss_pct: percent_of(c.loss),
            duplicate_pct: percent_of(c.duplicate),
        }
    }

    /// The conditions to send, keeping the link's current `cut`.
    pub fn conditions(self, cut: bool) -> LinkConditions {
        LinkConditions {
            latency_ms: self.latency_ms.max(1),
            jitter_ms: self.jitter_ms,
            loss: f64::from(self.loss_pct.min(100)) / 100.0,
            duplicate: f64::from(self.duplicate_pct.min(100)) / 100.0,
            cut,
        }
    }
}

/// One short line for a link's conditions: `9.0 s ±300 ms · 50 % lost`.
pub fn summary(c: &LinkConditions) -> String {
    let mut text = duration(c.latency_ms.into());
    if c.jitter_ms > 0 {
        text.push_str(&format!(" ±{}", duration(c.jitter_ms.into())));
    }
    if c.loss > 0.0 {
        text.push_str(&format!(" · {} lost", percent(c.loss)));
    }
    if c.duplicate > 0.0 {
        text.push_str(&format!(" · {} doubled", percent(c.duplicate)));
    }
    text
}

/// Between two city names: `⇄` for both directions, `→` for one.
pub fn arrow(both_ways: bool) -> &'static str {
    if both_ways {
        " ⇄ "
    } else {
        " → "
    }
}

/// A custom link as listed: one chip per direction, or one for both
/// directions when they were given the same conditions.
#[derive(Debug, Clone, PartialEq)]
pub struct Custom {
    pub from: RegionId,
    pub to: RegionId,
    pub both_ways: bool,
    pub conditions: LinkConditions,
}

/// Folds the frame's per-direction list into chips, in the order given.
pub fn group(custom: &[LinkSetting]) -> Vec<Custom> {
    let mut chips: Vec<Custom> = Vec::new();
    for s in custom {
        let (from, to) = (s.link.from, s.link.to);
        let twin = chips.iter_mut().find(|c| c.from == to && c.to == from && !c.both_ways);
        match twin {
            Some(twin) if twin.conditions == s.conditions => twin.both_ways = true,
            _ => chips.push(Custom { from, to, both_ways: false, conditions: s.conditions.clone() }),
        }
    }
    chips
}

/// The room's view of the chosen pair, from the latest frame.
#[derive(Debug, Clone, PartialEq)]
struct Chosen {
    there: LinkConditions,
    back: LinkConditions,
    there_custom: bool,
    back_custom: bool,
}

#[component]
pub fn LinkEditor(conn: Conn, lab: Lab, disabled: Signal<bool>) -> impl IntoView {
    let first = RegionId::all().next().expect("catalog is not empty");
    let from = RwSignal::new(first);
    let to = RwSignal::new(RegionId::parse("sydney").unwrap_or(first));
    let both = RwSignal::new(true);
    let draft = RwSignal::new(None::<Tuning>);

    // The custom links already grouped into chips, as the map's memo of
    // them (`network_view`): one memo type for both, and no copy of the
    // frame's list. Empty exactly when the list is.
    let custom = Memo::new(move |_| {
        conn.frame.with(|r| r.as_ref().map(|r| group(&r.frame.sim.faults.custom)).unwrap_or_default())
    });
    let chosen = Memo::new(move |_| {
        let (f, t) = (from.get(), to.get());
        if f == t {
            return None;
        }
        conn.room.with(|room| {
            let latency = &room.as_ref()?.latency_ms;
            conn.frame.with(|r| {
                let faults = &r.as_ref()?.frame.sim.faults;
                let is_custom =
                    |a: RegionId, b: RegionId| faults.custom.iter().any(|s| s.link.from == a && s.link.to == b);
                Some(Chosen {
                    there: faults.link(latency, f, t),
                    back: faults.link(latency, t, f),
                    there_custom: is_custom(f, t),
                    back_custom: is_custom(t, f),
                })
            })
        })
    });
    let room_tuning = move || chosen.with(|c| c.as_ref().map(|c| Tuning::of(&c.there)));
    let shown = move || draft.get().or_else(room_tuning);
    // The room caught up with the draft (this page's Apply, or anyone's):
    // drop it, so later changes by others show again.
    Effect::new(move |_| {
        let settled = chosen.with(|c| {
            c.as_ref()
                .zip(draft.get())
                .is_some_and(|(c, d)| Tuning::of(&c.there) == d && (!both.get() || Tuning::of(&c.back) == d))
        });
        if settled {
            draft.set(None);
        }
    });

    // The chosen pair is read in place (`with`) here and below, never
    // cloned (`get`): a clone is code of its own for each type cloned.
    let dirty = move || {
        let t = shown();
        chosen.with(|c| match (t, c) {
            (Some(t), Some(c)) => t != Tuning::of(&c.there) || (both.get() && t != Tuning::of(&c.back)),
            _ => false,
        })
    };
    let resettable =
        move || chosen.with(|c| c.as_ref().is_some_and(|c| c.there_custom || (both.get() && c.back_custom)));
    let off = Signal::derive(move || disabled.get() || chosen.with(Option::is_none));

    let edit = move |change: fn(&mut Tuning, u32)| {
        Callback::new(move |value: u32| {
            if let Some(mut t) = shown() {
                change(&mut t, value);
                draft.set(Some(t));
            }
        })
    };
    let apply = move |_| {
        let t = shown();
        let cuts = chosen.with_untracked(|c| c.as_ref().map(|c| (c.there.cut, c.back.cut)));
        let (Some(t), Some((there_cut, back_cut))) = (t, cuts) else { return };
        let (f, to) = (from.get_untracked(), to.get_untracked());
        let set = |a: RegionId, b: RegionId, cut| ClientMessage::SetLink {
            from: a.id().into(),
            to: b.id().into(),
            conditions: t.conditions(cut),
        };
        lab.send(set(f, to, there_cut));
        if both.get_untracked() {
            lab.send(set(to, f, back_cut));
        }
    };
    let reset = move |_| {
        let (f, to) = (from.get_untracked(), to.get_untracked());
        let Some((there_custom, back_custom)) =
            chosen.with_untracked(|c| c.as_ref().map(|c| (c.there_custom, c.back_custom)))
        else {
            return;
        };
        draft.set(None);
        let reset = |a: RegionId, b: RegionId| ClientMessage::ResetLink { from: a.id().into(), to: b.id().into() };
        if there_custom {
            lab.send(reset(f, to));
        }
        if both.get_untracked() && back_custom {
            lab.send(reset(to, f));
        }
    };
    let pick = move |signal: RwSignal<RegionId>| {
        Callback::new(move |r| {
            signal.set(r);
            draft.set(None);
        })
    };
    let select = move |chip: &Custom| {
        from.set(chip.from);
        to.set(chip.to);
        both.set(chip.both_ways);
        draft.set(None);
    };

    let value = move |get: fn(&Tuning) -> u32| Signal::derive(move || shown().map_or(0, |t| get(&t)));
    let text = move |say: fn(&Tuning) -> String| Signal::derive(move || shown().map_or_else(String::new, |t| say(&t)));
    let direction = move || arrow(both.get());
    view! {
        <div class="cutter link-pick">
            <RegionSelect label="From" role="link-from" value=from disabled on_pick=pick(from)/>
            <RegionSelect label="to" role="link-to" value=to disabled on_pick=pick(to)/>
            <label class="check">
                <input type="checkbox" data-role="link-both" prop:checked=move || both.get() disabled=disabled
                    on:change=move |ev| both.set(event_target_checked(&ev))/>
                "Both ways"
            </label>
        </div>
        <p class="link-state" data-role="link-state">
            {move || chosen.with(|c| match c {
                None => "Pick two different regions.".to_owned(),
                Some(c) if c.there_custom || (both.get() && c.back_custom) => format!(
                    "{}{}{} has settings of its own: the room-wide sliders above leave it alone.",
                    from.get().info().city, direction(), to.get().info().city,
                ),
                Some(c) => format!(
                    "{}{}{} follows the room-wide settings: {}.",
                    from.get().info().city, direction(), to.get().info().city, summary(&c.there),
                ),
            })}
        </p>
        <div class="sliders">
            <RangeKnob label="Delay (one way)" role="link-latency" text=text(|t| duration(t.latency_ms.into()))
                value=value(|t| t.latency_ms) min=MIN_DELAY_MS max=MAX_DELAY_MS step=50 disabled=off
                on_input=edit(|t, v| t.latency_ms = v.max(MIN_DELAY_MS))/>
            <RangeKnob label="Jitter" role="link-jitter" text=text(|t| jitter_text(t.jitter_ms))
                value=value(|t| t.jitter_ms) min=0 max=MAX_JITTER_MS step=50 disabled=off
                on_input=edit(|t, v| t.jitter_ms = v)/>
            <RangeKnob label="Loss" role="link-loss" text=text(|t| format!("{} %", t.loss_pct))
                value=value(|t| t.loss_pct) min=0 max=100 step=1 bad=true disabled=off
                on_input=edit(|t, v| t.loss_pct = v)/>
            <RangeKnob label="Duplication" role="link-duplicate" text=text(|t| format!("{} %", t.duplicate_pct))
                value=value(|t| t.duplicate_pct) min=0 max=100 step=1 bad=true disabled=off
                on_input=edit(|t, v| t.duplicate_pct = v)/>
        </div>
        <div class="link-actions">
            <button class="button button-primary" data-role="link-apply" disabled=move || off.get() || !dirty()
                on:click=apply>
                {move || format!("Apply to {}{}{}", from.get().info().city, direction(), to.get().info().city)}
            </button>
            <button class="button" data-role="link-reset" disabled=move || off.get() || !resettable()
                title="Back to the room-wide settings (a cut stays cut)" on:click=reset>
                "Reset"
            </button>
        </div>
        <div class="cut-list" aria-live="polite">
            <When
                when=move || !custom.with(Vec::is_empty)
                fallback=|| view! { <span class="muted">"Every link follows the room-wide settings."</span> }
            >
                {keyed_list(
                    move || custom.get(),
                    |c| (c.from, c.to, c.both_ways, summary(&c.conditions)),
                    move |chip| view! {
                        <button class="link-chip" data-role="link-custom" data-from=chip.from.id() data-to=chip.to.id()
                            title="Edit this link" on:click={
                                let chip = chip.clone();
                                move |_| select(&chip)
                            }>
                            {chip.from.info().city}
                            <span class="cut-mark" aria-hidden="true">{arrow(chip.both_ways)}</span>
                            {chip.to.info().city}
                            <span class="link-chip-detail">{summary(&chip.conditions)}</span>
                        </button>
                    }.into_any(),
                )}
            </When>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::view::LinkRef;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    fn link(latency_ms: u32, loss: f64) -> LinkConditions {
        LinkConditions { latency_ms, jitter_ms: 0, loss, duplicate: 0.0, cut: false }
    }

    fn setting(f: &str, t: &str, c: LinkConditions) -> LinkSetting {
        LinkSetting { link: LinkRef { from: r(f), to: r(t) }, conditions: c }
    }

    #[test]
    fn tunings_round_trip_whole_percentages_and_keep_the_cut() {
        let c = LinkConditions { latency_ms: 1_097, jitter_ms: 110, loss: 0.25, duplicate: 0.05, cut: true };
        let t = Tuning::of(&c);
        assert_eq!(t, Tuning { latency_ms: 1_097, jitter_ms: 110, loss_pct: 25, duplicate_pct: 5 });
        assert_eq!(t.conditions(true), c);
        assert!(!t.conditions(false).cut);
        let odd = Tuning { latency_ms: 0, jitter_ms: 0, loss_pct: 250, duplicate_pct: 0 }.conditions(false);
        assert_eq!((odd.latency_ms, odd.loss), (1, 1.0), "out-of-range drafts become values the server takes");
    }

    #[test]
    fn matching_directions_fold_into_one_chip() {
        let slow = link(9_000, 0.5);
        let chips = group(&[
            setting("tokyo", "sydney", slow.clone()),
            setting("mumbai", "tokyo", link(300, 0.0)),
            setting("sydney", "tokyo", slow.clone()),
            setting("tokyo", "mumbai", link(400, 0.0)),
        ]);
        assert_eq!(chips.len(), 3);
        assert_eq!(chips[0], Custom { from: r("tokyo"), to: r("sydney"), both_ways: true, conditions: slow });
        assert!(!chips[1].both_ways && !chips[2].both_ways, "different conditions stay apart: {chips:?}");
    }

    #[test]
    fn summaries_name_only_what_is_set() {
        assert_eq!(summary(&link(900, 0.0)), "900 ms");
        let c = LinkConditions { latency_ms: 9_000, jitter_ms: 300, loss: 0.5, duplicate: 0.1, cut: false };
        assert_eq!(summary(&c), "9.0 s ±300 ms · 50 % lost · 10 % doubled");
    }
}
