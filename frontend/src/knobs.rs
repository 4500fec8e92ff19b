//! The lab's four kinds of input: a slider over notches (periods, skews,
//! timeouts), a plain number slider, an on/off switch and a region picker.
//! Shared by the strategy knobs and the fault controls so every control
//! looks and behaves the same.
//!
//! None of them owns the value it shows: they are drawn from the room's
//! latest frame and report a choice through a callback, which sends it to
//! the server. The room changes for everyone, and the next frame redraws
//! the input with what the room actually runs — exactly, even when that is
//! not one of the notches (see [`notches`]).

use crate::format::interval_text;
use leptos::prelude::*;
use shared::region::RegionId;

/// Sync and batch periods: 100 ms up to once a simulated minute.
pub const PERIODS: &[Option<u64>] =
    &[Some(100), Some(250), Some(500), Some(1_000), Some(2_000), Some(5_000), Some(10_000), Some(30_000), Some(60_000)];

/// Repair jobs that may also be switched off (anti-entropy, re-sends).
pub const OPTIONAL_PERIODS: &[Option<u64>] =
    &[None, Some(500), Some(1_000), Some(2_000), Some(4_000), Some(10_000), Some(30_000), Some(60_000)];

/// The notches of a slider over `presets` that must show `value`: the
/// presets, plus `value` in its sorted place when it is not one of them
/// (another client, an older default, a config from the compare table).
/// The knob then always shows the value in force, never the nearest notch.
pub fn notches(presets: &[Option<u64>], value: Option<u64>) -> Vec<Option<u64>> {
    let mut all = presets.to_vec();
    if !all.contains(&value) {
        // `None` (off) sorts first, like it does in every preset list.
        let at = all.partition_point(|p| *p < value);
        all.insert(at, value);
    }
    all
}

/// A slider over `presets` (see [`notches`]), its value in words beside
/// its label (`{role}-value`, [`interval_text`] unless `text` says
/// otherwise). Dragging only moves the label; letting go sends the choice,
/// so a drag across six notches is one change, not six.
#[component]
pub fn IntervalKnob(
    label: &'static str,
    value: Option<u64>,
    presets: &'static [Option<u64>],
    on_pick: Callback<Option<u64>>,
    #[prop(into)] disabled: Signal<bool>,
    #[prop(default = "interval")] role: &'static str,
    #[prop(default = interval_text)] text: fn(Option<u64>) -> String,
    /// A line under the slider explaining what the value means.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    let notches = notches(presets, value);
    let last = notches.len() - 1;
    let at = notches.iter().position(|n| *n == value).unwrap_or(0);
    let shown = RwSignal::new(at);
    let chosen = StoredValue::new(notches);
    slider(Slider {
        label,
        role,
        text: Signal::derive(move || chosen.with_value(|n| text(n[shown.get()]))),
        value: Signal::derive(move || shown.get() as u32),
        min: 0,
        max: last as u32,
        step: 1,
        bad: false,
        disabled,
        on_input: Callback::new(move |i: u32| shown.set((i as usize).min(last))),
        on_change: Some(Callback::new(move |i: u32| {
            shown.set((i as usize).min(last));
            let picked = chosen.with_value(|n| n[shown.get_untracked()]);
            if picked != value {
                on_pick.run(picked);
            }
        })),
        hint,
    })
}

/// A slider over whole numbers, with the value in words beside its label
/// (`{role}-value`). `bad` colours it as a fault (loss, duplication).
/// Every movement is reported; the caller decides when to send.
#[component]
pub fn RangeKnob(
    label: &'static str,
    role: &'static str,
    #[prop(into)] text: Signal<String>,
    #[prop(into)] value: Signal<u32>,
    min: u32,
    max: u32,
    step: u32,
    #[prop(optional)] bad: bool,
    #[prop(into)] disabled: Signal<bool>,
    on_input: Callback<u32>,
) -> impl IntoView {
    slider(Slider { label, role, text, value, min, max, step, bad, disabled, on_input, on_change: None, hint: None })
}

/// What both sliders are drawn from.
struct Slider {
    label: &'static str,
    role: &'static str,
    /// The value in words, beside the label.
    text: Signal<String>,
    /// The slider's position.
    value: Signal<u32>,
    min: u32,
    max: u32,
    step: u32,
    bad: bool,
    disabled: Signal<bool>,
    /// Every movement (the position, `min` if unreadable).
    on_input: Callback<u32>,
    /// Letting go, if the knob acts on it.
    on_change: Option<Callback<u32>>,
    hint: Option<&'static str>,
}

/// The one slider markup: [`IntervalKnob`] and [`RangeKnob`] were the same
/// label, value and `<input type="range">` written out twice, and the view
/// layer compiles each `view!` element by element, so they share it.
#[inline(never)]
fn slider(s: Slider) -> AnyView {
    let Slider { label, role, text, value, min, max, step, bad, disabled, on_input, on_change, hint } = s;
    let read = move |ev: &leptos::ev::Event| event_target_value(ev).parse().unwrap_or(min);
    view! {
        <label class="knob">
            <span class="knob-label">{label}</span>
            <span class="knob-value" data-role=format!("{role}-value")>{move || text.get()}</span>
            <input
                class=if bad { "slider slider-bad" } else { "slider" }
                type="range"
                min=min.to_string()
                max=max.to_string()
                step=step.to_string()
                data-role=role
                prop:value=move || value.get().to_string()
                disabled=disabled
                on:input=move |ev| on_input.run(read(&ev))
                on:change=move |ev| {
                    if let Some(on_change) = on_change {
                        on_change.run(read(&ev));
                    }
                }
            />
            {hint.map(|h| view! { <span class="knob-hint">{h}</span> }.into_any())}
        </label>
    }
    .into_any()
}

/// An on/off switch with a one-line hint of what "on" means.
#[component]
pub fn Switch(
    label: &'static str,
    hint: &'static str,
    #[prop(into)] on: Signal<bool>,
    on_toggle: Callback<bool>,
    #[prop(into)] disabled: Signal<bool>,
    role: &'static str,
) -> impl IntoView {
    view! {
        <label class="switch">
            <input
                type="checkbox"
                role="switch"
                data-role=role
                prop:checked=move || on.get()
                disabled=disabled
                on:change=move |ev| on_toggle.run(event_target_checked(&ev))
            />
            <span class="switch-track" aria-hidden="true"></span>
            <span class="switch-text">
                <span class="knob-label">{label}</span>
                <span class="switch-hint">{hint}</span>
            </span>
        </label>
    }
}

/// A select of the six regions.
#[component]
pub fn RegionSelect(
    label: &'static str,
    #[prop(into)] value: Signal<RegionId>,
    on_pick: Callback<RegionId>,
    #[prop(into)] disabled: Signal<bool>,
    role: &'static str,
) -> impl IntoView {
    view! {
        <label class="knob knob-select">
            <span class="knob-label">{label}</span>
            <select
                class="select"
                data-role=role
                disabled=disabled
                prop:value=move || value.get().id()
                on:change=move |ev| {
                    if let Ok(region) = RegionId::parse(&event_target_value(&ev)) {
                        on_pick.run(region);
                    }
                }
            >
                {RegionId::all()
                    .map(|r| view! { <option value=r.id() selected=move || value.get() == r>{r.info().city}</option> })
                    .map(IntoAny::into_any).collect::<Vec<_>>()}
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_in_force_is_always_a_notch() {
        assert_eq!(notches(PERIODS, Some(2_000)), PERIODS, "a preset adds nothing");
        let with_3s = notches(PERIODS, Some(3_000));
        assert_eq!(with_3s.len(), PERIODS.len() + 1);
        assert_eq!(with_3s[5], Some(3_000), "between 2 s and 5 s");
        assert_eq!(notches(PERIODS, Some(600_000)).last(), Some(&Some(600_000)));
        assert_eq!(notches(PERIODS, Some(50))[0], Some(50));
        assert_eq!(notches(PERIODS, None)[0], None);
        assert_eq!(notches(OPTIONAL_PERIODS, None), OPTIONAL_PERIODS);
    }
}
