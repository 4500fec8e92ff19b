//! One sentence under the time band saying what the room's clock means
//! right now: locked (the public room, and why), or paused (for everyone,
//! and what becomes of a like clicked meanwhile). Viewing the past has its
//! own note, beside the scrubber.

use crate::app::Conn;
use crate::format::decimal;
use crate::lab::Lab;
use leptos::prelude::*;

#[component]
pub fn TimeNote(conn: Conn, lab: Lab) -> impl IntoView {
    // A selection, not a memo of its own type (`None` before the first frame).
    let paused_at = conn.select_frame(|f| f.time.paused.then_some(f.sim.now_ms));
    let note = move || {
        if lab.public.get() {
            return Some((
                "locked",
                "The public room's clock runs for everyone: press New room to pause, step or slow it down.".to_owned(),
            ));
        }
        if lab.locked.get() {
            return Some(("locked", "The presenter runs this room's clock for everyone here.".to_owned()));
        }
        if conn.viewing.get().is_some() {
            return None;
        }
        paused_at.get().flatten().map(|at| {
            let text = format!(
                "Paused at {} s for everyone in this room. A like clicked now is taken at this instant; \
                 its messages leave when the clock moves again (Resume or Step).",
                decimal(at as f64 / 1000.0)
            );
            ("paused", text)
        })
    };
    view! {{move || {
        note().map(|(state, text)| {
            view! { <p class="time-note" data-role="time-note" data-state=state>{text}</p> }.into_any()
        })
    }}}
}
