//! The strip under the header: which room this is, how to bring someone
//! into it (copy the link) or start a fresh one, who else is here, and
//! whether the page is live.
//!
//! Rooms are private by obscurity: the id in `/r/{id}` is 16 random bytes
//! from the browser's CSPRNG, so a room's link is its only key.

use crate::connection::{Connection, Status};
use crate::format::{base64url, reconnect_text, short_room, viewers_text};
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use wasm_bindgen::JsValue;

#[component]
pub fn ShareBar(conn: Connection) -> impl IntoView {
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
    let viewers = move || conn.frame.with(|r| r.as_ref().map_or(String::new(), |r| viewers_text(r.frame.viewers)));

    view! {
        <nav class="share-bar" aria-label="Room">
            <div class="room-id">
                <strong>{room_label}</strong>
                <span class="muted">{room_hint}</span>
            </div>
            <div class="share-actions">
                <span class="viewers" data-role="viewers">{viewers}</span>
                <ConnectionBadge status=conn.status/>
                <CopyLink/>
                <button class="button" data-role="new-room" on:click=move |_| new_room()>
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
        <span class="connection" data-role="connection" data-state=state role="status">
            <span class="connection-dot" aria-hidden="true"></span>
            {text}
        </span>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copied {
    Idle,
    Yes,
    Failed,
}

/// Copies the page's address. Falls back to saying so when the Clipboard
/// API is missing (it only exists in secure contexts) or refuses.
#[component]
fn CopyLink() -> impl IntoView {
    let copied = RwSignal::new(Copied::Idle);
    let copy = move |_| {
        spawn_local(async move {
            let href = window().location().href().unwrap_or_default();
            let ok = write_clipboard(&href).await;
            copied.try_set(if ok { Copied::Yes } else { Copied::Failed });
            set_timeout(
                move || {
                    copied.try_set(Copied::Idle);
                },
                Duration::from_millis(1_800),
            );
        });
    };
    view! {
        <button class="button button-primary" data-role="copy-link" data-state=move || format!("{:?}", copied.get()).to_lowercase() on:click=copy>
            {move || match copied.get() {
                Copied::Idle => "Copy link",
                Copied::Yes => "Copied!",
                Copied::Failed => "Copy failed: use the address bar",
            }}
        </button>
    }
}

async fn write_clipboard(text: &str) -> bool {
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

/// Navigates to a brand-new private room.
fn new_room() {
    let mut bytes = [0u8; 16];
    let filled = window().crypto().and_then(|c| c.get_random_values_with_u8_array(&mut bytes).map(|_| ()));
    if let Err(e) = filled {
        // Never fall back to a weak random source: a guessable room id
        // would make a private room public.
        warn!("no secure random source, cannot create a room: {e:?}");
        return;
    }
    if let Err(e) = window().location().set_href(&format!("/r/{}", base64url(&bytes))) {
        warn!("navigation failed: {e:?}");
    }
}
