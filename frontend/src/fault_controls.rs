//! Breaking things on purpose: a lossy, duplicating, reordering network;
//! partitions between any two regions; and whether a crash loses what a
//! region had not yet shipped. (Isolating and crashing one region are on
//! its card, next to its count.)
//!
//! Frames do not report link conditions, so the network sliders start at
//! "healthy" and remember what this page set; they are sent together with
//! `set_all_links`, debounced while a slider is dragged so a drag is one
//! change to the room rather than dozens. They return to healthy when the
//! room starts afresh (see [`Lab::resets`]).

use crate::connection::Connection;
use crate::format::{duration, percent};
use crate::knobs::{RegionSelect, Switch};
use crate::lab::Lab;
use leptos::prelude::*;
use shared::protocol::ClientMessage;
use shared::region::RegionId;
use std::time::Duration;

/// Quiet time after the last slider movement before it is sent.
const DEBOUNCE: Duration = Duration::from_millis(180);
/// The jitter slider's range, in simulated ms.
const MAX_JITTER_MS: u32 = 3_000;

#[component]
pub fn FaultControls(conn: Connection, lab: Lab) -> impl IntoView {
    let disabled = Signal::derive(move || !lab.usable());
    view! {
        <div class="lab-group">
            <h3 class="lab-title">"Network"</h3>
            <NetworkSliders lab disabled/>
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
                on=Signal::derive(move || conn.frame.with(|r| r.as_ref().is_none_or(|r| r.frame.sim.verdict.durable)))
                disabled
                on_toggle=Callback::new(move |durable| lab.send(ClientMessage::SetDurable { durable }))
            />
        </div>
    }
}

/// Loss, duplication and jitter on every link at once.
#[component]
fn NetworkSliders(lab: Lab, disabled: Signal<bool>) -> impl IntoView {
    let loss = RwSignal::new(0u32);
    let duplicate = RwSignal::new(0u32);
    // `None` until touched: links keep their natural jitter (a tenth of
    // their delay), which `set_all_links` would otherwise overwrite.
    let jitter = RwSignal::new(None::<u32>);
    let generation = StoredValue::new(0u64);
    // A room that started afresh has healthy links again.
    Effect::new(move |first: Option<()>| {
        lab.resets.track();
        if first.is_some() {
            loss.set(0);
            duplicate.set(0);
            jitter.set(None);
        }
    });
    let send_later = move || {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        set_timeout(
            move || {
                if generation.try_get_value() == Some(mine) {
                    lab.send(ClientMessage::SetAllLinks {
                        loss: f64::from(loss.get_untracked()) / 100.0,
                        duplicate: f64::from(duplicate.get_untracked()) / 100.0,
                        jitter_ms: jitter.get_untracked(),
                    });
                }
            },
            DEBOUNCE,
        );
    };
    let slider = move |signal: RwSignal<u32>| {
        move |ev| {
            signal.set(event_target_value(&ev).parse().unwrap_or(0));
            send_later();
        }
    };
    view! {
        <div class="sliders">
            <label class="knob">
                <span class="knob-label">"Loss"</span>
                <span class="knob-value">{move || percent(f64::from(loss.get()) / 100.0)}</span>
                <input class="slider slider-bad" type="range" min="0" max="100" step="1" data-role="loss"
                    prop:value=move || loss.get().to_string() disabled=disabled on:input=slider(loss)/>
            </label>
            <label class="knob">
                <span class="knob-label">"Duplication"</span>
                <span class="knob-value">{move || percent(f64::from(duplicate.get()) / 100.0)}</span>
                <input class="slider slider-bad" type="range" min="0" max="100" step="1" data-role="duplicate"
                    prop:value=move || duplicate.get().to_string() disabled=disabled on:input=slider(duplicate)/>
            </label>
            <label class="knob">
                <span class="knob-label">"Jitter (reordering)"</span>
                <span class="knob-value">
                    {move || match jitter.get() {
                        None => "natural".to_owned(),
                        Some(0) => "none".to_owned(),
                        Some(ms) => format!("up to +{}", duration(ms.into())),
                    }}
                </span>
                <input class="slider" type="range" min="0" max=MAX_JITTER_MS.to_string() step="50" data-role="jitter"
                    prop:value=move || jitter.get().unwrap_or(0).to_string() disabled=disabled
                    on:input=move |ev| {
                        jitter.set(Some(event_target_value(&ev).parse().unwrap_or(0)));
                        send_later();
                    }/>
            </label>
        </div>
    }
}

/// Two regions and Cut / Heal; the cuts this page made, each one click
/// from healed; and "Heal everything".
#[component]
fn LinkCutter(lab: Lab, disabled: Signal<bool>) -> impl IntoView {
    let first = RegionId::all().next().expect("catalog is not empty");
    let a = RwSignal::new(first);
    let b = RwSignal::new(RegionId::parse("virginia").unwrap_or(first));
    let same = move || a.get() == b.get();
    let cut_list = move || lab.cuts.get().into_iter().collect::<Vec<_>>();
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
            <Show
                when=move || !lab.cuts.with(|c| c.is_empty())
                fallback=|| view! { <span class="muted">"No links cut by you."</span> }
            >
                <For each=cut_list key=|p| *p let(pair)>
                    <button class="cut-chip" data-role="cut-link" data-a=pair.0.id() data-b=pair.1.id()
                        title="Heal this link" disabled=disabled on:click=move |_| lab.heal(pair.0, pair.1)>
                        {pair.0.info().city}<span class="cut-mark" aria-hidden="true">" ✂ "</span>{pair.1.info().city}
                    </button>
                </For>
            </Show>
        </div>
        <button class="button button-wide" data-role="heal-all" disabled=disabled on:click=move |_| lab.heal_all()>
            "Heal everything (every link)"
        </button>
    }
}
