//! The row of guided scenarios under the room bar: one link each, so one
//! click (or a pasted link) starts it.
//!
//! Each is a plain link to `/s/{id}`, which the server answers with a new
//! private room playing the scenario. A new room rather than this one: the
//! public room's clock is everyone's, and a story someone else pauses or
//! rewinds halfway is no guide. The row stays one line high (it scrolls
//! sideways on a narrow screen) so the map keeps the first screen.

use crate::app::Conn;
use leptos::prelude::*;
use shared::scenario::CATALOGUE;

#[component]
pub fn ScenarioStrip(conn: Conn) -> impl IntoView {
    // A selection, as the scenario panel's: a memo of the id was a memo
    // type of its own.
    let running = conn.select(|s| s.scenario.as_ref().map(|s| s.id.clone()));
    view! {
        <nav class="scenario-strip" aria-label="Guided scenarios">
            <span class="scenario-strip-label">"Try a story"</span>
            <ul class="scenario-list">
                {CATALOGUE.iter().map(|s| {
                    let current = move || running.with(|r| r.as_ref().and_then(Option::as_deref) == Some(s.id));
                    view! {
                        <li>
                            <a class="scenario-chip" href=format!("/s/{}", s.id) data-role="scenario"
                                data-scenario=s.id title=s.caption
                                aria-current=move || current().then_some("true")>
                                {s.short}
                            </a>
                        </li>
                    }
                }).map(IntoAny::into_any).collect::<Vec<_>>()}
            </ul>
        </nav>
    }
}
