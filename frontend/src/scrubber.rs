//! The history scrubber: this viewer's own look at the room's past.
//!
//! Dragging asks the server for the room as it was (`seek`); the whole
//! page — cards, verdict, map, diagrams — then shows that moment, with a
//! clear "viewing 12.4 s ago" and a way back to live. Nobody else is
//! affected. Likes and lab controls are off meanwhile: they would act on
//! the live room, which this viewer is not looking at; *Fork from here*
//! is the way to change history.

use crate::app::Conn;
use crate::format::decimal;
use crate::when::When;
use leptos::prelude::*;

/// A drag this close to the live end counts as "live".
const LIVE_SNAP_MS: u64 = 150;

fn secs(ms: u64) -> String {
    format!("{} s", decimal(ms as f64 / 1000.0))
}

#[component]
pub fn Scrubber(conn: Conn) -> impl IntoView {
    let from = Memo::new(move |_| conn.frame.with(|r| r.as_ref().map_or(0, |r| r.frame.time.history_from_ms)));
    let value = move || conn.viewing.get().unwrap_or_else(|| conn.live_now.get());
    let on_input = move |ev| {
        let Ok(at) = event_target_value(&ev).parse::<u64>() else { return };
        if at + LIVE_SNAP_MS >= conn.live_now.get_untracked() {
            conn.back_to_live();
        } else {
            conn.seek(at);
        }
    };
    let position = move || match conn.viewing.get() {
        None => format!("Live · {}", secs(conn.live_now.get())),
        Some(at) => {
            let ago = conn.live_now.get().saturating_sub(at);
            format!("Viewing {} ago · at {}", secs(ago), secs(at))
        }
    };
    let state = move || if conn.viewing.get().is_some() { "past" } else { "live" };
    view! {
        <div class="scrubber" data-role="scrubber" data-state=move || state()>
            <input
                type="range"
                class="slider scrub"
                data-role="time-scrub"
                aria-label="The room's history: drag to look at an earlier moment"
                min=move || from.get().to_string()
                max=move || conn.live_now.get().to_string()
                step="100"
                prop:value=move || value().to_string()
                disabled=move || conn.status.get() != crate::connection::Status::Live
                on:input=on_input
            />
            <span class="scrub-position" data-role="time-position" aria-live="polite">{move || position()}</span>
            <When when=move || conn.viewing.get().is_some()>
                <button class="button button-primary" data-role="time-live" on:click=move |_| conn.back_to_live()>
                    "Back to live"
                </button>
            </When>
        </div>
        <When when=move || conn.viewing.get().is_some()>
            <p class="time-note" data-role="past-note" data-state="past">
                "You are looking at the past; nobody else is. Likes and lab controls are off until you go back "
                "to live, since they would act on the live room. Fork from here to take history another way."
            </p>
        </When>
    }
}
