//! The consistency status as a pill: "In sync" before any like, "Diverged
//! for 1.2 s" (ticking) while the replicas disagree, "Converged in 1.4 s"
//! once they agree again. Colour carries the same message for a glance from
//! across the room; the words carry it for everyone else.

use crate::connection::Connection;
use crate::format::consistency_label;
use leptos::prelude::*;
use shared::sim::Consistency;

#[component]
pub fn StatusPill(conn: Connection, sim_now: Signal<f64>) -> impl IntoView {
    let consistency = Memo::new(move |_| conn.frame.with(|r| r.as_ref().map(|r| r.frame.sim.consistency)));
    // The timer shows tenths: recomputing the label more often than that
    // would only re-render identical text every animation frame.
    let tenths = Memo::new(move |_| (sim_now.get() / 100.0) as u64);

    let state = move || match consistency.get() {
        None => "waiting",
        Some(Consistency::Diverged { .. }) => "diverged",
        Some(Consistency::Converged { took_ms: Some(_), .. }) => "converged",
        Some(Consistency::Converged { took_ms: None, .. }) => "in-sync",
    };
    let label = move || match consistency.get() {
        None => "Waiting for the room…".to_owned(),
        Some(c @ Consistency::Diverged { .. }) => consistency_label(&c, tenths.get() * 100),
        Some(c) => consistency_label(&c, 0),
    };

    view! {
        <span class="pill" data-role="status" data-state=state role="status" aria-live="polite">
            <span class="pill-dot" aria-hidden="true"></span>
            <span class="pill-text">{label}</span>
        </span>
    }
}
