//! The room's change log: the last few changes, who made them, in words
//! ("Teal Otter cut Tokyo ⇄ Virginia").
//!
//! The server writes the sentences and sends the last few in every frame
//! (see `shared::protocol::changes`); this only lists them, newest last.
//! The list is a polite live region, keyed by each entry's number, so a
//! screen reader hears each change once, as it happens — the page's text
//! log of what happens to the room. Likes are not in it: they would make it
//! chatter, and the counts already announce them.

use crate::app::Conn;
use crate::keyed_list::keyed_list;
use leptos::prelude::*;
use shared::protocol::changes::Change;

#[component]
pub fn ChangeLog(conn: Conn) -> impl IntoView {
    // A selection (`None` before the first frame), not a memo of its own type.
    let entries = conn.select_frame(|f| f.changes.clone());
    let public = move || conn.room.with(|r| r.as_ref().is_none_or(|r| r.public));
    // Keyed, so a new change adds one item and the live region reads
    // only that one; the empty note is CSS (`ol:empty`), to keep it light.
    view! {
        <section class="change-log" aria-labelledby="change-log-title" hidden=move || public()>
            <h2 id="change-log-title" class="change-log-title">"Changes"</h2>
            <ol data-role="change-log" aria-live="polite" aria-relevant="additions">
                {keyed_list(move || entries.get().unwrap_or_default(), |c| (c.n, c.times), |change| view! { <Entry change/> }.into_any())}
            </ol>
            <p class="muted change-log-empty">"Nobody has changed this room yet."</p>
        </section>
    }
}

#[component]
fn Entry(change: Change) -> impl IntoView {
    let secs = format!("{} s", crate::format::fixed(change.at as f64 / 1000.0, 1));
    let times = (change.times > 1).then(|| format!(" ×{}", change.times));
    view! {
        <li data-n=change.n>
            <span class="change-at">{secs}</span>
            " "
            <span class="change-text">{change.text}{times}</span>
        </li>
    }
}
