//! Choosing how the six replicas talk: one option per strategy the server
//! offers, what the running one promises and how it fails, and its knobs.
//!
//! The highlighted option is the room's strategy as the latest frame
//! reports it, never a local choice: in a shared room someone else may
//! switch it, and the page must show what is actually running. Every knob
//! sends the strategy's *full* config (`set_strategy`), so the server
//! never has to merge a partial change with what it had. Switching, or
//! turning a knob, restarts the strategy from what the replicas hold, and
//! everyone in the room is told what that did (see [`crate::switch_notice`]).
//!
//! Knob ranges and defaults come from the strategies themselves
//! (`EventPush::MIN_RETRY_MS`, `LastWriterWins::MAX_SKEW_MS`,
//! `SingleWriter::MIN_TIMEOUT_MS`, ...), so the UI cannot offer a value
//! the server refuses or a default the compare table does not measure.

use crate::app::Conn;
use crate::connection::Named;
use crate::format::{after_text, short_name, skew_text};
use crate::keyed_list::keyed_list;
use crate::knobs::{IntervalKnob, RegionSelect, Switch, OPTIONAL_PERIODS, PERIODS};
use crate::lab::Lab;
use crate::selection::Selection;
use leptos::prelude::*;
use shared::protocol::ClientMessage;
use shared::strategy::{EventPush, LastWriterWins, SingleWriter, StrategyConfig, StrategyKind};

/// Re-send periods for event push's retries: never below
/// [`EventPush::MIN_RETRY_MS`], the slowest round trip, or a re-send would
/// leave before its ack could return.
const RETRY_PERIODS: &[Option<u64>] =
    &[Some(EventPush::MIN_RETRY_MS), Some(EventPush::DEFAULT_RETRY_MS), Some(10_000), Some(30_000), Some(60_000)];

/// Clock skews for last writer wins, from perfect clocks through NTP's few
/// milliseconds (the default) to a clock seconds off.
const SKEWS: &[Option<u64>] = &[
    Some(0),
    Some(LastWriterWins::DEFAULT_SKEW_MS),
    Some(50),
    Some(200),
    Some(500),
    Some(1_000),
    Some(2_000),
    Some(5_000),
    Some(LastWriterWins::MAX_SKEW_MS),
];

/// How long a single writer's follower waits for the leader before
/// suspecting it: from [`SingleWriter::MIN_TIMEOUT_MS`] to half a minute.
const TIMEOUTS: &[Option<u64>] = &[
    Some(SingleWriter::MIN_TIMEOUT_MS),
    Some(3_000),
    Some(SingleWriter::DEFAULT_TIMEOUT_MS),
    Some(10_000),
    Some(20_000),
    Some(30_000),
];

/// The wire name of a strategy kind (`"event_push"`), for test hooks: the
/// name the page writes it with (`connection::Named`, checked against
/// serde's), not serde_json's value encoder, linked for this alone.
pub fn kind_id(kind: StrategyKind) -> String {
    kind.wire_name().to_owned()
}

#[component]
pub fn StrategyPicker(conn: Conn, lab: Lab) -> impl IntoView {
    // Before the first snapshot the list compiled into `shared` stands in.
    // The room's strategies as kinds: names and promises are read from the
    // catalog in `shared` (`kind.info()`), which is what the server sends
    // (`StrategyDescription::all`). A row is then one byte, where a
    // `StrategyDescription` (four strings and a config) was cloned with the
    // list and moved through each option's props.
    let strategies = move || {
        conn.room.with(|r| {
            r.as_ref().map_or_else(|| StrategyKind::ALL.to_vec(), |r| r.strategies.iter().map(|d| d.kind).collect())
        })
    };
    let current = conn.select(|s| s.strategy);
    // A selection, not a memo of its own type (`None` before the first frame).
    let config = conn.select(|s| s.strategy_config.clone().unwrap_or_else(|| StrategyConfig::default_for(s.strategy)));
    let disabled = Signal::derive(move || !lab.usable());

    view! {
        <div class="lab-group">
            <h3 class="lab-title">"Replication strategy"</h3>
            <div class="strategy-options" role="radiogroup" aria-label="Replication strategy">
                {keyed_list(strategies, |kind| *kind, move |kind| view! { <StrategyOption kind current lab disabled/> }.into_any())}
            </div>
            {move || {
                let kind = current.get()?;
                let d = strategies().contains(&kind).then(|| kind.info())?;
                Some(view! {
                    <div class="strategy-promise" data-role="strategy-promise">
                        <p class="promise promise-ok"><span class="promise-mark" aria-hidden="true">"✓"</span>{d.guarantee}</p>
                        <p class="promise promise-bad"><span class="promise-mark" aria-hidden="true">"!"</span>{d.failure}</p>
                    </div>
                }.into_any())
            }}
            <div class="knobs">{move || config.get().map(|c| view! { <Knobs config=c lab disabled/> }.into_any())}</div>
        </div>
    }
}

/// One tab; choosing it switches the room to that strategy's defaults.
#[component]
fn StrategyOption(
    kind: StrategyKind,
    current: Selection<StrategyKind>,
    lab: Lab,
    disabled: Signal<bool>,
) -> impl IntoView {
    let d = kind.info();
    let selected = move || current.get() == Some(kind);
    let config = StrategyConfig::default_for(kind);
    view! {
        <button
            class="strategy-option"
            role="radio"
            data-role="strategy-option"
            data-strategy=kind_id(kind)
            data-selected=move || selected().to_string()
            aria-checked=move || selected().to_string()
            title=d.how
            disabled=disabled
            on:click=move |_| {
                if !selected() {
                    lab.send(ClientMessage::SetStrategy { config: config.clone() });
                }
            }
        >
            {short_name(d.name)}
        </button>
    }
}

/// The knobs of the running strategy, drawn from its current config.
#[component]
fn Knobs(config: StrategyConfig, lab: Lab, disabled: Signal<bool>) -> impl IntoView {
    let set = move |config: StrategyConfig| lab.send(ClientMessage::SetStrategy { config });
    match config {
        StrategyConfig::EventPush { anti_entropy_ms, retry_ms, dedupe } => view! {
            <IntervalKnob
                label="Anti-entropy gossip"
                value=anti_entropy_ms
                presets=OPTIONAL_PERIODS
                disabled
                on_pick=Callback::new(move |ae| set(StrategyConfig::EventPush { anti_entropy_ms: ae, retry_ms, dedupe }))
            />
            <Switch
                label="Retries"
                hint="re-send events a peer has not acknowledged (at-least-once)"
                role="retries"
                on=retry_ms.is_some()
                disabled
                on_toggle=Callback::new(move |on: bool| {
                    let retry_ms = on.then_some(EventPush::DEFAULT_RETRY_MS);
                    set(StrategyConfig::EventPush { anti_entropy_ms, retry_ms, dedupe })
                })
            />
            {retry_ms.map(|ms| view! {
                <IntervalKnob
                    label="Retry period"
                    role="retry"
                    value=Some(ms)
                    presets=RETRY_PERIODS
                    disabled
                    on_pick=Callback::new(move |retry_ms: Option<u64>| {
                        set(StrategyConfig::EventPush { anti_entropy_ms, retry_ms: retry_ms.or(Some(ms)), dedupe })
                    })
                />
            }.into_any())}
            <Switch
                label="De-duplicate"
                hint="apply each event once, however often it arrives"
                role="dedupe"
                on=dedupe
                disabled
                on_toggle=Callback::new(move |dedupe| set(StrategyConfig::EventPush { anti_entropy_ms, retry_ms, dedupe }))
            />
        }
        .into_any(),
        StrategyConfig::BackgroundSync { interval_ms, delta } => view! {
            <IntervalKnob
                label="Sync"
                value=Some(interval_ms)
                presets=PERIODS
                disabled
                on_pick=Callback::new(move |ms: Option<u64>| {
                    set(StrategyConfig::BackgroundSync { interval_ms: ms.unwrap_or(interval_ms), delta })
                })
            />
            <Switch
                label="Deltas"
                hint="send only the slots the peer lacks"
                role="delta"
                on=delta
                disabled
                on_toggle=Callback::new(move |delta| set(StrategyConfig::BackgroundSync { interval_ms, delta }))
            />
        }
        .into_any(),
        StrategyConfig::QueueBatch { batch_ms, writer } => view! {
            <IntervalKnob
                label="Batch job"
                value=Some(batch_ms)
                presets=PERIODS
                disabled
                on_pick=Callback::new(move |ms: Option<u64>| {
                    set(StrategyConfig::QueueBatch { batch_ms: ms.unwrap_or(batch_ms), writer })
                })
            />
            <RegionSelect
                label="Writer and database in"
                role="writer"
                value=writer
                disabled
                on_pick=Callback::new(move |writer| set(StrategyConfig::QueueBatch { batch_ms, writer }))
            />
        }
        .into_any(),
        StrategyConfig::LastWriterWins { resend_ms, skew_ms } => view! {
            <IntervalKnob
                label="Re-send the total"
                value=resend_ms
                presets=OPTIONAL_PERIODS
                disabled
                on_pick=Callback::new(move |resend_ms| set(StrategyConfig::LastWriterWins { resend_ms, skew_ms }))
            />
            <IntervalKnob
                label="Clock skew"
                role="skew"
                value=Some(skew_ms)
                presets=SKEWS
                text=skew_text
                hint="Tokyo's clock runs this far ahead, Frankfurt's this far behind, the others in between"
                disabled
                on_pick=Callback::new(move |skew: Option<u64>| {
                    set(StrategyConfig::LastWriterWins { resend_ms, skew_ms: skew.unwrap_or(skew_ms) })
                })
            />
        }
        .into_any(),
        StrategyConfig::SingleWriter { leader, timeout_ms } => view! {
            <RegionSelect
                label="Leader in"
                role="leader"
                value=leader
                disabled
                on_pick=Callback::new(move |leader| set(StrategyConfig::SingleWriter { leader, timeout_ms }))
            />
            <IntervalKnob
                label="Followers suspect the leader"
                role="timeout"
                value=Some(timeout_ms)
                presets=TIMEOUTS
                text=after_text
                hint="after hearing nothing from it this long; then they refuse likes until it answers again"
                disabled
                on_pick=Callback::new(move |timeout: Option<u64>| {
                    set(StrategyConfig::SingleWriter { leader, timeout_ms: timeout.unwrap_or(timeout_ms) })
                })
            />
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_use_wire_names_and_short_labels() {
        assert_eq!(kind_id(StrategyKind::LastWriterWins), "last_writer_wins");
        assert_eq!(short_name("Background sync (anti-entropy only)"), "Background sync");
        assert_eq!(short_name("Event push + anti-entropy"), "Event push + anti-entropy");
    }

    #[test]
    fn knob_ranges_come_from_the_strategies_own_limits() {
        let defaults = |kind| StrategyConfig::default_for(kind);
        let StrategyConfig::LastWriterWins { skew_ms, .. } = defaults(StrategyKind::LastWriterWins) else { panic!() };
        assert!(SKEWS.contains(&Some(skew_ms)), "the default skew is a notch");
        assert_eq!(SKEWS.last(), Some(&Some(LastWriterWins::MAX_SKEW_MS)));
        let StrategyConfig::SingleWriter { timeout_ms, .. } = defaults(StrategyKind::SingleWriter) else { panic!() };
        assert!(TIMEOUTS.contains(&Some(timeout_ms)), "the default timeout is a notch");
        assert!(TIMEOUTS.iter().flatten().all(|&t| t >= SingleWriter::MIN_TIMEOUT_MS));
        assert!(RETRY_PERIODS.iter().flatten().all(|&t| t >= EventPush::MIN_RETRY_MS));
        assert!(RETRY_PERIODS.contains(&Some(EventPush::DEFAULT_RETRY_MS)));
        for list in [SKEWS, TIMEOUTS, RETRY_PERIODS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "notches are sorted: {list:?}");
        }
    }
}
