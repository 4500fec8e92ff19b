//! The history band: the timeline over the run and the space-time diagram
//! of its last seconds, side by side, sharing which message the pointer is
//! on so that hovering an arrow highlights it on both.

use crate::app::Conn;
use crate::history::MsgKey;
use crate::spacetime::Spacetime;
use crate::timeline::Timeline;
use leptos::prelude::*;

#[component]
pub fn HistoryPanel(conn: Conn) -> impl IntoView {
    let hovered = RwSignal::new(None::<MsgKey>);
    let skipped = move || conn.history.with(|h| h.skipped);
    view! {
        <section class="panel history-panel" data-role="history" aria-labelledby="history-title">
            <div class="panel-head">
                <h2 id="history-title">"History"</h2>
                <span class="panel-sub muted">
                    {move || match conn.viewing.get() {
                        Some(_) => "Drawn up to the moment you are viewing",
                        None => "Counts over the run; messages of the last 10 s",
                    }}
                </span>
            </div>
            <div class="history-body">
                <div class="history-cell">
                    <h3>"Timeline"</h3>
                    <Timeline conn hovered/>
                </div>
                <div class="history-cell">
                    <h3>"Space-time"</h3>
                    <Spacetime conn hovered/>
                </div>
            </div>
            {move || (skipped() > 0).then(|| view! {
                <p class="muted history-note">
                    {format!("{} events were over the bound the server sends per frame and are not drawn.", skipped())}
                </p>
            }.into_any())}
        </section>
    }
}
