//! The time band: the room's clock (room-wide), this viewer's history
//! scrubber, and the run actions (fork, export, import), in one panel.

use crate::app::Conn;
use crate::lab::Lab;
use crate::run_actions::RunActions;
use crate::scrubber::Scrubber;
use crate::time_controls::TimeControls;
use crate::time_note::TimeNote;
use leptos::prelude::*;

#[component]
pub fn TimePanel(conn: Conn, lab: Lab) -> impl IntoView {
    view! {
        <section class="panel time-panel" data-role="time" aria-labelledby="time-title">
            <div class="panel-head">
                <h2 id="time-title">"Time"</h2>
                <span class="panel-sub muted">"The clock is the room's; the scrubber is yours alone"</span>
            </div>
            <div class="time-row">
                <TimeControls conn lab/>
                <RunActions conn/>
            </div>
            <Scrubber conn/>
            <TimeNote conn lab/>
        </section>
    }
}
