//! Breaking things on purpose: a lossy, duplicating, reordering network;
//! one link tuned by hand (see [`LinkEditor`]); partitions between any two
//! regions; and whether a crash loses what a region had not yet shipped. (Isolating and crashing one region are on
//! its card, next to its count.)
//!
//! Every setting shown is the room's, from the latest frame (`faults`), so
//! all viewers see the same network. Loss and duplication are sent with
//! `set_all_links`, debounced while a slider is dragged so a drag is one
//! change to the room rather than dozens; while a change is on its way the
//! slider shows the dragged value, not the room's stale one.

use crate::app::Conn;
use crate::format::{duration, percent};
use crate::keyed_list::keyed_list;
use crate::knobs::{RangeKnob, RegionSelect, Switch};
use crate::lab::Lab;
use crate::link_editor::LinkEditor;
use crate::when::When;
use leptos::prelude::*;
use shared::protocol::view::FaultView;
use shared::protocol::ClientMessage;
use shared::region::RegionId;
use std::time::Duration;

/// Quiet time after the last slider movement before it is sent.
const DEBOUNCE: Duration = Duration::from_millis(180);
/// How long a dragged value may wait for the room to confirm it.
const DRAFT_TTL: Duration = Duration::from_millis(2_000);
/// The jitter slider's range, in simulated ms.
pub const MAX_JITTER_MS: u32 = 3_000;

#[component]
pub fn FaultControls(conn: Conn, lab: Lab) -> impl IntoView {
    let disabled = Signal::derive(move || !lab.usable());
    let durable = conn.select(|s| s.faults.durable);
    view! {
        <div class="lab-group">
            <h3 class="lab-title">"Network"</h3>
            <NetworkSliders conn lab disabled/>
        </div>
        <div class="lab-group" data-role="link-editor">
            <h3 class="lab-title">"One link"</h3>
            <LinkEditor conn lab disabled/>
        </div>
        <div class="lab-group">
            <h3 class="lab-title">"Partitions"</h3>
            <LinkCutter lab disabled/>
        </div>
        <div class="lab-group">
            <h3 class="lab-title">"Crashes"</h3>
            <Switch
                label="Durable log"
                hint="a crashed region recovers what it acknowledged; off, it forgets what it had not shipped"
                role="durable"
                on=Signal::derive(move || durable.get().unwrap_or(true))
                disabled
                on_toggle=Callback::new(move |durable| lab.send(ClientMessage::SetDurable { durable }))
            />
        </div>
    }
}

/// Loss, duplication and jitter on every link at once (except the links
/// given settings of their own in the [`LinkEditor`]).
#[component]
fn NetworkSliders(conn: Conn, lab: Lab, disabled: Signal<bool>) -> impl IntoView {
    let faults = conn.select(|s| s.faults.clone());
    let room = move |f: fn(&FaultView) -> u32| Signal::derive(move || faults.with(|x| x.as_ref().map_or(0, f)));
    let loss = Setting::new(room(|f| percent_of(f.loss)));
    let duplicate = Setting::new(room(|f| percent_of(f.duplicate)));
    let jitter = Setting::new(room(|f| f.jitter_ms));
    let generation = StoredValue::new(0u64);
    let send_later = move || {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        set_timeout(
            move || {
                if generation.try_get_value() == Some(mine) {
                    lab.send(ClientMessage::SetAllLinks {
                        loss: f64::from(loss.value()) / 100.0,
                        duplicate: f64::from(duplicate.value()) / 100.0,
                        // Jitter only when it was moved: links otherwise keep
                        // their own natural jitter (a tenth of their delay).
                        jitter_ms: jitter.draft.get_untracked(),
                    });
                }
            },
            DEBOUNCE,
        );
    };
    let on_input = move |setting: Setting| {
        Callback::new(move |value: u32| {
            setting.draft.set(Some(value));
            send_later();
        })
    };
    let pct = move |setting: Setting| Signal::derive(move || percent(f64::from(setting.shown()) / 100.0));
    let shown = move |setting: Setting| Signal::derive(move || setting.shown());
    view! {
        <div class="sliders">
            <RangeKnob label="Loss" role="loss" text=pct(loss) value=shown(loss) min=0 max=100 step=1 bad=true
                disabled on_input=on_input(loss)/>
            <RangeKnob label="Duplication" role="duplicate" text=pct(duplicate) value=shown(duplicate) min=0 max=100
                step=1 bad=true disabled on_input=on_input(duplicate)/>
            <RangeKnob
                label="Jitter (reordering)"
                role="jitter"
                text=Signal::derive(move || jitter_text(jitter.shown()))
                value=shown(jitter)
                min=0
                max=MAX_JITTER_MS
                step=50
                disabled
                on_input=on_input(jitter)
            />
        </div>
    }
}

/// Jitter in words: `none`, `up to +300 ms`.
pub fn jitter_text(ms: u32) -> String {
    match ms {
        0 => "none".to_owned(),
        ms => format!("up to +{}", duration(ms.into())),
    }
}

/// A probability as a whole percentage, for a 0–100 slider.
pub fn percent_of(p: f64) -> u32 {
    (p * 100.0).round().clamp(0.0, 100.0) as u32
}

/// One network setting: the room's value, and a draft while the person's
/// change is on its way. The draft is dropped once the room shows it, or
/// after a while if the room never does (a refusal).
#[derive(Clone, Copy)]
struct Setting {
    room: Signal<u32>,
    draft: RwSignal<Option<u32>>,
}

impl Setting {
    fn new(room: Signal<u32>) -> Setting {
        let draft = RwSignal::new(None::<u32>);
        Effect::new(move |_| {
            if draft.get().is_some_and(|d| d == room.get()) {
                draft.set(None);
            }
        });
        Effect::new(move |_| {
            if let Some(mine) = draft.get() {
                // Only if it is still this draft: a newer one gets its own time.
                set_timeout(
                    move || {
                        if draft.try_get_untracked() == Some(Some(mine)) {
                            draft.try_set(None);
                        }
                    },
                    DRAFT_TTL,
                );
            }
        });
        Setting { room, draft }
    }

    fn shown(&self) -> u32 {
        self.draft.get().unwrap_or_else(|| self.room.get())
    }

    fn value(&self) -> u32 {
        self.draft.get_untracked().unwrap_or_else(|| self.room.get_untracked())
    }
}

/// Two regions and Cut / Heal; the room's cuts, each one click
/// from healed; and "Heal everything".
#[component]
fn LinkCutter(lab: Lab, disabled: Signal<bool>) -> impl IntoView {
    let first = RegionId::all().next().expect("catalog is not empty");
    let a = RwSignal::new(first);
    let b = RwSignal::new(RegionId::parse("virginia").unwrap_or(first));
    let same = move || a.get() == b.get();
    // Read in place: `get()` would clone the set, and a set's clone and
    // owning iterator are code of their own (docs/page-weight.md).
    let cut_list = move || lab.cuts.with(|c| c.iter().copied().collect::<Vec<_>>());
    view! {
        <div class="cutter">
            <RegionSelect label="Between" role="cut-a" value=a disabled on_pick=Callback::new(move |r| a.set(r))/>
            <RegionSelect label="and" role="cut-b" value=b disabled on_pick=Callback::new(move |r| b.set(r))/>
            <div class="cutter-actions">
                <button class="button button-danger" data-role="cut" disabled=move || disabled.get() || same()
                    on:click=move |_| lab.cut(a.get_untracked(), b.get_untracked())>"Cut"</button>
                <button class="button" data-role="heal" disabled=move || disabled.get() || same()
                    on:click=move |_| lab.heal(a.get_untracked(), b.get_untracked())>"Heal"</button>
            </div>
        </div>
        <div class="cut-list" aria-live="polite">
            <When
                when=move || !lab.cuts.with(|c| c.is_empty())
                fallback=|| view! { <span class="muted">"No links cut: every region hears every other."</span> }
            >
                {keyed_list(cut_list, |p| *p, move |pair| view! {
                    <button class="cut-chip" data-role="cut-link" data-a=pair.0.id() data-b=pair.1.id()
                        title="Heal this link" disabled=disabled on:click=move |_| lab.heal(pair.0, pair.1)>
                        {pair.0.info().city}<span class="cut-mark" aria-hidden="true">" ✂ "</span>{pair.1.info().city}
                    </button>
                }.into_any())}
            </When>
        </div>
        <button class="button button-wide" data-role="heal-all" disabled=disabled on:click=move |_| lab.heal_all()>
            "Heal everything (every link)"
        </button>
    }
}
