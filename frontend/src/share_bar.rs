//! The strip under the header: which room this is, how to bring someone
//! into it (copy the link) or start a fresh one, who else is here, and
//! whether the page is live.
//!
//! Rooms are private by obscurity: the id in `/r/{id}` is 22 random
//! characters from the server (`POST /api/rooms`), so a room's link is its
//! only key. The server also issues the new room's presenter token, kept
//! by this browser (see [`crate::presenter`]).

use crate::app::Conn;
use crate::connection::Status;
use crate::format::{reconnect_text, short_room, viewers_text};
use crate::presenter::PresenterBadge;
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use wasm_bindgen::JsValue;

#[component]
pub fn ShareBar(conn: Conn) -> impl IntoView {
    let room_label = move || {
        conn.room.with(|r| match r {
            Some(r) if r.public => "Public room".to_owned(),
            Some(r) => format!("Private room · {}", short_room(&r.room)),
            None => "Joining room…".to_owned(),
        })
    };
    let room_hint = move || {
        conn.room.with(|r| match r {
            Some(r) if r.public => "Everyone who opens Likewise lands here.",
            Some(_) => "Only people with this link can see it.",
            None => "",
        })
    };
    let making = RwSignal::new(false);
    let viewers = move || conn.frame.with(|r| r.as_ref().map_or(String::new(), |r| viewers_text(r.frame.viewers)));

    view! {
        <nav class="share-bar" aria-label="Room">
            <div class="room-id">
                <strong>{move || room_label()}</strong>
                <span class="muted">{move || room_hint()}</span>
                <PresenterBadge conn/>
            </div>
            <div class="share-actions">
                <span class="viewers" data-role="viewers">{move || viewers()}</span>
                <ConnectionBadge status=conn.status/>
                <CopyLink/>
                <button
                    class="button"
                    data-role="new-room"
                    disabled=move || making.get()
                    on:click=move |_| {
                        making.set(true);
                        spawn_local(async move {
                            if let Err(why) = new_room().await {
                                warn!("cannot make a room: {why}");
                                let _ = window().alert_with_message(&format!("No new room: {why}"));
                                making.try_set(false);
                            }
                        });
                    }
                >
                    "New room"
                </button>
            </div>
        </nav>
    }
}

/// Green "Live", amber "Reconnecting in 3 s", grey while first connecting.
#[component]
fn ConnectionBadge(status: ReadSignal<Status>) -> impl IntoView {
    let state = move || match status.get() {
        Status::Live => "live",
        Status::Connecting => "connecting",
        Status::Reconnecting { .. } => "reconnecting",
        Status::Outdated { .. } => "outdated",
    };
    let text = move || match status.get() {
        Status::Live => "Live".to_owned(),
        Status::Connecting => "Connecting…".to_owned(),
        Status::Reconnecting { in_secs } => reconnect_text(in_secs),
        Status::Outdated { .. } => "Out of date".to_owned(),
    };
    view! {
        <span class="connection" data-role="connection" data-state=move || state() role="status">
            <span class="connection-dot" aria-hidden="true"></span>
            {move || text()}
        </span>
    }
}

/// Copies the page's address. Falls back to saying so when the Clipboard
/// API is missing (it only exists in secure contexts) or refuses.
#[component]
fn CopyLink() -> impl IntoView {
    // The button's state by its `data-state` name: "idle", "yes" or
    // "failed". (A string signal, a type the page has anyway, rather than
    // an enum signal of its own and its `Debug` name lowercased.)
    let copied = RwSignal::new("idle");
    let copy = move |_| {
        spawn_local(async move {
            let href = window().location().href().unwrap_or_default();
            let ok = write_clipboard(&href).await;
            copied.try_set(if ok { "yes" } else { "failed" });
            set_timeout(
                move || {
                    copied.try_set("idle");
                },
                Duration::from_millis(1_800),
            );
        });
    };
    view! {
        <button class="button button-primary" data-role="copy-link" data-state=move || copied.get() on:click=copy>
            {move || match copied.get() {
                "yes" => "Copied!",
                "failed" => "Copy failed: use the address bar",
                _ => "Copy link",
            }}
        </button>
    }
}

pub(crate) async fn write_clipboard(text: &str) -> bool {
    let navigator = window().navigator();
    // `navigator.clipboard` is undefined outside secure contexts; calling
    // through web-sys's non-optional binding would throw.
    let present =
        js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")).map(|c| !c.is_undefined()).unwrap_or(false);
    if !present {
        return false;
    }
    let promise = navigator.clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Asks the server for a brand-new private room, keeps its presenter
/// token, and goes there.
async fn new_room() -> Result<(), String> {
    let room = crate::run_file::start_room("/api/rooms", None).await?;
    window().location().set_href(&format!("/r/{room}")).map_err(|_| "navigation failed".to_owned())
}
