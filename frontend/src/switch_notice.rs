//! The announcement of a strategy switch, for everyone in the room.
//!
//! Controls change the room for everyone, and a switch is the most
//! disruptive of them: the old protocol's messages in flight are dropped
//! and likes it held in doubt are settled one way or the other. So every
//! viewer — not only the one who clicked — is told what it did, in the
//! verdict panel, where its consequences show. A switch is new when its
//! time differs from the last one this page saw; the first frame only sets
//! that baseline, so opening the page does not announce a switch made
//! before it. The notice stays until dismissed or replaced: a switch made by
//! someone else must not flash by unread.

use crate::app::Conn;
use crate::format::switch_text;
use leptos::prelude::*;
use shared::sim::SwitchNote;

#[component]
pub fn SwitchNotice(conn: Conn) -> impl IntoView {
    let last_switch = conn.select(|s| s.verdict.last_switch.clone());
    let shown = RwSignal::new(None::<SwitchNote>);
    // `None` until the first frame; then the time of the last switch seen.
    let seen = StoredValue::new(None::<Option<u64>>);
    Effect::new(move |_| {
        let Some(note) = last_switch.get() else { return };
        let at = note.as_ref().map(|n| n.at);
        match seen.get_value() {
            None => {}
            Some(previous) if previous == at => {}
            Some(_) => shown.set(note),
        }
        seen.set_value(Some(at));
    });
    view! {{move || {
        shown.get().map(|note| {
            view! {
                <div class="switch-notice" data-role="switch-notice" role="status" aria-live="polite">
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                        <path d="M4 7h12l-3-3m7 13H8l3 3" fill="none" stroke="currentColor" stroke-width="2"
                            stroke-linecap="round" stroke-linejoin="round"></path>
                    </svg>
                    <p>{switch_text(&note)}</p>
                    <button class="notice-close" data-role="switch-dismiss" title="Dismiss" aria-label="Dismiss"
                        on:click=move |_| shown.set(None)>"×"</button>
                </div>
            }
            .into_any()
        })
    }}}
}
