//! The verdict's judgement, the part that answers "was anything lost?".
//!
//! Before the room settles: the list of what it waits for, each item in
//! words ("1 like on the queues, waiting for the 3 s batch in Virginia"),
//! and no number at all — a loss shown too early is the lie this panel
//! exists to avoid. Once settled: lost and double counted, big; for last
//! writer wins the loss split into clock skew against concurrent writes;
//! and when the count is wrong, which origin region lost what, since the
//! verdict judges origin by origin (a loss in Tokyo and a duplicate in
//! Sydney both show, and never cancel out).

use crate::app::Conn;
use crate::format::{count_of, lost_cause_text, origin_text, pending_text};
use crate::selection::Selection;
use crate::when::When;
use leptos::prelude::*;
use shared::sim::Verdict;

#[component]
pub fn Judgement(verdict: Selection<Verdict>, state: Selection<&'static str>) -> impl IntoView {
    let settled = move || verdict.with(|v| v.as_ref().is_some_and(|v| v.settled));
    view! {
        <When when=settled fallback=move || view! { <Waiting verdict/> }>
            <Tiles verdict state/>
            <Origins verdict/>
        </When>
    }
}

/// "Judging…": what the room waits for before it can be judged.
#[component]
fn Waiting(verdict: Selection<Verdict>) -> impl IntoView {
    let items = move || {
        verdict.with(|v| v.as_ref().map_or_else(Vec::new, |v| v.pending.iter().map(pending_text).collect::<Vec<_>>()))
    };
    view! {
        <div class="judging" data-role="verdict-pending">
            <p class="judging-title">
                <span class="judging-dot" aria-hidden="true"></span>
                "Not judged yet — waiting for:"
            </p>
            <ul class="judging-list">
                {move || {
                    let items = items();
                    if items.is_empty() {
                        return view! { <li data-role="pending-item">"the regions to agree"</li> }.into_any();
                    }
                    items.into_iter().map(|t| view! { <li data-role="pending-item">{t}</li> }).map(IntoAny::into_any).collect::<Vec<_>>().into_any()
                }}
            </ul>
        </div>
    }
}

/// Lost and double counted, big.
#[component]
fn Tiles(verdict: Selection<Verdict>, state: Selection<&'static str>) -> impl IntoView {
    let number = move |f: fn(&Verdict) -> Option<u64>| move || verdict.with(|v| v.as_ref().and_then(f).unwrap_or(0));
    let lost = number(|v| v.lost);
    let double = number(|v| v.double_counted);
    let tile = move |n: u64| match () {
        _ if n > 0 => "bad",
        _ if state.get().unwrap_or("idle") == "idle" => "idle",
        _ => "good",
    };
    // Last writer wins only: the loss split by cause.
    let cause = move || {
        verdict.with(|v| {
            let v = v.as_ref()?;
            let lost = v.lost.filter(|&n| n > 0)?;
            Some(lost_cause_text(lost, v.lost_to_skew?))
        })
    };
    view! {
        <div class="verdict-tiles">
            <div class="tile" data-state=move || tile(lost())>
                <span class="tile-number" data-role="verdict-lost">{lost}</span>
                <span class="tile-label">
                    {move || if verdict.with(|v| v.as_ref().is_some_and(|v| v.set.is_some())) { "people lost" } else { "likes lost" }}
                </span>
                {move || match cause() {
                    Some(c) => view! { <span class="tile-note" data-role="verdict-lost-cause">{c}</span> }.into_any(),
                    None => view! { <span class="tile-note">"acknowledged, then missing"</span> }.into_any(),
                }}
            </div>
            // A set cannot count anyone twice: the panel says why instead of
            // showing a zero that could never have been anything else.
            {move || match verdict.with(|v| v.as_ref().and_then(|v| v.set.as_ref().map(|s| s.no_double_count.clone()))) {
                Some(why) => view! {
                    <div class="tile" data-state="idle">
                        <span class="tile-label">"counted twice: impossible"</span>
                        <span class="tile-note" data-role="verdict-no-double">{why}</span>
                    </div>
                }.into_any(),
                None => view! {
                    <div class="tile" data-state=move || tile(double())>
                        <span class="tile-number" data-role="verdict-double">{double}</span>
                        <span class="tile-label">"double counted"</span>
                        <span class="tile-note">"counted beyond what was liked"</span>
                    </div>
                }.into_any(),
            }}
        </div>
    }
}

/// Which origin lost or gained what; shown only when the count is wrong.
#[component]
fn Origins(verdict: Selection<Verdict>) -> impl IntoView {
    let origins = move || {
        verdict.with(|v| match v {
            Some(v) if !v.correct() => v.per_origin.clone(),
            _ => Vec::new(),
        })
    };
    view! {
        <When when=move || !origins().is_empty()>
            <ul class="origins" data-role="verdict-origins" aria-label="Judged per origin region">
                {move || {
                    origins()
                        .into_iter()
                        .map(|j| {
                            let wrong = j.lost + j.double_counted > 0;
                            view! {
                                <li class="origin" data-origin=j.origin.id() data-state=if wrong { "bad" } else { "good" }>
                                    {origin_text(&j)}
                                </li>
                            }
                        })
                        .map(IntoAny::into_any).collect::<Vec<_>>()
                }}
            </ul>
        </When>
    }
}

/// Likes destroyed by crashes without a durable log, ever: they survive
/// switches and count as lost once the room settles.
#[component]
pub fn CrashNote(verdict: Selection<Verdict>) -> impl IntoView {
    let destroyed = move || verdict.with(|v| v.as_ref().map_or(0, |v| v.destroyed_in_crashes));
    view! {
        <When when=move || { destroyed() > 0 }>
            <p class="note note-warn crash-note" data-role="verdict-crashes">
                {move || format!(
                    "{} destroyed by crashes without a durable log: they count as lost once the room settles.",
                    count_of(destroyed(), "acknowledged like was", "acknowledged likes were"),
                )}
            </p>
        </When>
    }
}

/// Pipeline stages ("on the queues" against "in the database"): the gap
/// between them is what a queue-and-batch design promises, so it is shown
/// as numbers side by side, not buried in prose.
#[component]
pub fn Stages(conn: Conn) -> impl IntoView {
    let stages = conn.select(|s| s.stages.clone());
    let list = move || stages.get().unwrap_or_default();
    view! {
        <When when=move || stages.with(|s| s.as_ref().is_some_and(|s| !s.is_empty()))>
            <ol class="stages" data-role="stages">
                {move || list().into_iter().map(|stage| view! {
                    <li class="stage" data-role="stage">
                        <span class="stage-count">{stage.count}</span>
                        <span class="stage-label">{stage.label}</span>
                        <span class="stage-note">{stage.note}</span>
                    </li>
                }).map(IntoAny::into_any).collect::<Vec<_>>()}
            </ol>
        </When>
    }
}
