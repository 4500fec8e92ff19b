//! The room's one status as a pill, judged against the ground truth and
//! shown the same way as the verdict: "No likes yet", "Settling for 3.2 s"
//! (ticking, amber) while something can still change a replica, then
//! "Settled in 2.1 s" (green) or "Settled on a wrong count" (red). The time
//! is the verdict's own (`took_ms` is `timing.measured_ms`), so the header
//! and the verdict never disagree. Colour carries the message for a glance
//! from across the room; the words carry it for everyone else.

use crate::app::Conn;
use crate::format::{consistency_label, consistency_state, idle};
use leptos::prelude::*;
use shared::protocol::view::Consistency;

#[component]
pub fn StatusPill(conn: Conn, sim_now: Signal<f64>) -> impl IntoView {
    let consistency = conn.select(|s| (s.consistency, idle(&s.verdict)));
    // The timer shows tenths: recomputing the label more often than that
    // would only re-render identical text every animation frame.
    let tenths = Memo::new(move |_| (sim_now.get() / 100.0) as u64);

    let state = move || consistency.get().map_or("waiting", |(c, idle)| consistency_state(&c, idle));
    let label = move || match consistency.get() {
        None => "Waiting for the room…".to_owned(),
        // Only a settling room ticks; a settled one does not read the clock.
        Some((c @ Consistency::Settling { .. }, idle)) => consistency_label(&c, idle, tenths.get() * 100),
        Some((c, idle)) => consistency_label(&c, idle, 0),
    };

    view! {
        <span class="pill" data-role="status" data-state=move || state() role="status" aria-live="polite">
            <span class="pill-dot" aria-hidden="true"></span>
            <span class="pill-text">{move || label()}</span>
        </span>
    }
}
