//! The lab bench: the strategy and the faults, in one panel beside the
//! verdict, so a change and its consequence are on screen together.
//!
//! In the public room the panel stays visible but locked (everyone shares
//! that room, so nobody may break it for the others); it says how to get a
//! room of one's own. The server refuses controls there anyway.

use crate::app::Conn;
use crate::fault_controls::FaultControls;
use crate::lab::Lab;
use crate::saga_panel::PayoutsSwitch;
use crate::strategy_picker::StrategyPicker;
use crate::when::When;
use leptos::prelude::*;

#[component]
pub fn Controls(conn: Conn, lab: Lab) -> impl IntoView {
    let locked = move || lab.locked.get().to_string();
    // Folded where they would be a wall: locked (the public room), or on a
    // phone, where the map and the counts come first (the stylesheet
    // decides which applies; this only records the reader's choice).
    let expanded = RwSignal::new(false);
    view! {
        <section
            class="panel controls"
            data-role="controls"
            data-locked=move || locked()
            data-expanded=move || expanded.get().to_string()
            aria-labelledby="controls-title"
        >
            <div class="panel-head">
                <h2 id="controls-title">"Lab controls"</h2>
                <span class="panel-sub muted">"Changes apply to everyone in this room"</span>
                <button
                    class="button controls-toggle"
                    data-role="controls-toggle"
                    aria-expanded=move || expanded.get().to_string()
                    aria-controls="controls-body"
                    on:click=move |_| expanded.update(|e| *e = !*e)
                >
                    {move || if expanded.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            <When when=move || lab.locked.get() && conn.room.with(|r| r.is_some())>
                <p class="lock-note" data-role="lock-note">
                    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                        <path d="M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1zm2 0h6V7a3 3 0 0 0-6 0z"></path>
                    </svg>
                    <span>
                        {move || if lab.public.get() {
                            "The public room only takes likes — press "
                        } else {
                            "Read-only: the presenter changes this room. You can like and watch; press "
                        }}
                        <strong>"New room"</strong>
                        {move || if lab.public.get() { " to experiment." } else { " for your own." }}
                    </span>
                </p>
            </When>
            <div class="controls-body" id="controls-body">
                <StrategyPicker conn lab/>
                <FaultControls conn lab/>
                <PayoutsSwitch conn lab/>
            </div>
        </section>
    }
}
