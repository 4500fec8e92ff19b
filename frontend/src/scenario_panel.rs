//! The running scenario: its title, its caption (what to watch), its steps
//! with the one just played highlighted, and what a viewer can do — pause
//! the story, or play it again from the start.
//!
//! The words come from the scenario catalogue compiled into the page
//! (`shared::scenario`); frames carry only the scenario's id and how many
//! steps have played, so a step shows as played exactly when the room has
//! played it. Pausing is the room's own clock (everyone in the room sees
//! it stop, as with the time controls further down): the steps play on
//! simulated time, so they stop with it.

use crate::app::Conn;
use crate::lab::Lab;
use crate::selection::Selection;
use leptos::html;
use leptos::prelude::*;
use shared::protocol::ClientMessage;
use shared::scenario::{find, Scenario};
use wasm_bindgen::JsCast;

#[component]
pub fn ScenarioPanel(conn: Conn, lab: Lab) -> impl IntoView {
    // The running scenario's progress (steps done, finished): all the steps
    // read of it, selected rather than a memo of the whole `ScenarioView`,
    // which was cloned on every frame and a memo type of its own.
    let progress = conn.select(|s| s.scenario.as_ref().map(|v| (v.done, v.finished)));
    // Built once per scenario, not once per step: progress updates the
    // step list in place (and keeps the focus on the Pause button).
    // A selection (not a memo of its own type), as the scenario strip's.
    let id = conn.select(|s| s.scenario.as_ref().map(|v| v.id.clone()));
    view! {{move || {
        let scenario = find(id.get().flatten()?.as_str())?;
        Some(view! { <Playing scenario progress conn lab/> }.into_any())
    }}}
}

#[component]
fn Playing(
    scenario: &'static Scenario,
    progress: Selection<Option<(usize, bool)>>,
    conn: Conn,
    lab: Lab,
) -> impl IntoView {
    let progress = move || progress.get().flatten();
    let done = move || progress().map_or(0, |p| p.0);
    let finished = move || progress().is_some_and(|p| p.1);
    let paused = move || conn.frame.with(|r| r.as_ref().is_some_and(|r| r.frame.time.paused));
    let total = scenario.steps.len();
    let status = move || {
        if finished() {
            "Finished: every step has played and the room has settled.".to_owned()
        } else if done() >= total {
            "Every step has played; the room is still settling.".to_owned()
        } else if done() == 0 {
            format!("Starting: the first step plays at {}.", seconds(scenario.steps.first().map_or(0, |s| s.at)))
        } else if paused() {
            format!("Paused after step {} of {total}.", done())
        } else {
            format!("Step {} of {total}.", done())
        }
    };
    // Keep the step just played in sight when the list scrolls (beside
    // the map on a wide screen); elsewhere the list does not scroll and
    // this changes nothing.
    let list = NodeRef::<html::Ol>::new();
    Effect::new(move |_| {
        let d = done();
        let Some(list) = list.get() else { return };
        let Ok(Some(li)) = list.query_selector(&format!("li:nth-child({})", d.max(1))) else { return };
        if let Ok(li) = li.dyn_into::<web_sys::HtmlElement>() {
            list.set_scroll_top((li.offset_top() - (list.client_height() - li.offset_height()) / 2).max(0));
        }
    });
    let toggle = move |_| lab.send(if paused() { ClientMessage::Resume } else { ClientMessage::Pause });
    view! {
        <section class="scenario-panel" data-role="scenario-panel" data-scenario=scenario.id
            data-finished=move || finished().to_string() aria-labelledby="scenario-title">
            // On a wide screen the panel sits beside the map, within its
            // height: the title and caption stay, the step list scrolls (a
            // long one must not push the cards out of the first screen).
            <div class="scenario-body">
            <div class="scenario-head">
                <h2 id="scenario-title">{scenario.title}</h2>
                <div class="scenario-actions">
                    <button class="button" data-role="scenario-pause" disabled=move || !lab.usable()
                        on:click=toggle>
                        {move || if paused() { "▶ Resume" } else { "❚❚ Pause" }}
                    </button>
                    <a class="button" data-role="scenario-restart" href=format!("/s/{}", scenario.id)
                        title="A new room playing this story from the start">
                        "↻ Play again"
                    </a>
                </div>
            </div>
            <p class="scenario-caption" data-role="scenario-caption">{scenario.caption}</p>
            // Focusable: on a wide screen the list scrolls, and a keyboard
            // must be able to scroll it too.
            <ol class="scenario-steps" data-role="scenario-steps" node_ref=list tabindex="0" aria-label="Steps">
                {scenario.steps.iter().enumerate().map(|(i, step)| {
                    let state = move || match done() {
                        d if i + 1 < d => "done",
                        d if i + 1 == d => "current",
                        _ => "next",
                    };
                    view! {
                        <li data-role="scenario-step" data-state=move || state()
                            aria-current=move || (state() == "current").then_some("step")>
                            <span class="scenario-step-at">{seconds(step.at)}</span>
                            {step.says}
                        </li>
                    }
                }).map(IntoAny::into_any).collect::<Vec<_>>()}
            </ol>
            <p class="scenario-status" data-role="scenario-status" role="status">{move || status()}</p>
            </div>
        </section>
    }
}

/// Simulated ms as seconds to one decimal ("12.5 s"), in integers: step
/// times are whole tenths, and no float formatting is needed for them.
fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, ms % 1000 / 100)
}
