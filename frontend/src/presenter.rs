//! The presenter: who may change this room, and this browser's token.
//!
//! A room made with New room (or a fork, or an import) has a presenter
//! token, which the server hands to whoever made it. The page keeps it in
//! local storage under the room's id, shows it to the server after every
//! snapshot (`present`), and offers it as a *presenter link*
//! (`/r/{id}?presenter=…`) to carry to another device; opening that link
//! stores the token and takes it out of the address bar, so a copy of the
//! address bar is the plain share link again.
//!
//! The badge says who presents. For everyone else the lab's controls are
//! read-only (see [`crate::lab::Lab::locked`]); the server refuses their
//! changes anyway (`not_presenter`).

use crate::app::Conn;
use crate::share_bar::write_clipboard;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::RoomId;

fn key(room: &str) -> String {
    format!("likewise.presenter.{room}")
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The token this browser holds for `room`.
pub fn token_for(room: &str) -> Option<String> {
    storage()?.get_item(&key(room)).ok().flatten().filter(|t| !t.is_empty())
}

/// Keeps the token of a room this browser made (or was handed).
pub fn keep_token(room: &str, token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&key(room), token);
    }
}

/// Drops a token the room refused.
pub fn forget_token(room: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(room));
    }
}

/// `?presenter=…` in the address: keep the token, and put the plain link
/// back in the address bar (without reloading).
pub fn take_token_from_address(room: &RoomId) {
    let location = window().location();
    let search = location.search().unwrap_or_default();
    let Some(token) = search.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix("presenter=")) else {
        return;
    };
    if !token.is_empty() && token.len() <= shared::protocol::MAX_TOKEN_LEN {
        keep_token(room.as_str(), token);
    }
    let rest: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.starts_with("presenter=") && !kv.is_empty())
        .collect();
    let query = if rest.is_empty() { String::new() } else { format!("?{}", rest.join("&")) };
    let plain = format!("{}{query}", location.pathname().unwrap_or_default());
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&plain));
    }
}

/// Who presents, in a sentence; empty where nobody does (the public room,
/// and rooms without a presenter).
#[component]
pub fn PresenterBadge(conn: Conn) -> impl IntoView {
    // A selection, not a memo of its own type.
    let who = conn.select_frame(|f| f.presenter.clone());
    let text = move || {
        let me = conn.presenting.get();
        who.with(|w| match w.as_ref().and_then(Option::as_ref) {
            None => None,
            Some(_) if me => Some("You present: your changes apply to everyone here".to_owned()),
            Some(p) => Some(match (&p.name, p.here) {
                (Some(name), _) => format!("{name} presents — controls are read-only for you"),
                (None, true) => "Someone presents — controls are read-only for you".to_owned(),
                (None, false) => "The presenter is away — controls are read-only for you".to_owned(),
            }),
        })
    };
    // Plain closures rather than `<Show>`, written inside `view!` so the
    // erased build compiles them as the shared reactive-closure type: the
    // page's weight counts.
    view! {{move || {
        text().map(|text| {
            let me = conn.presenting.get();
            view! {
                <p class="presenter" data-role="presenter" data-me=me.to_string()>
                    <span class="presenter-dot" aria-hidden="true"></span>
                    <span>{text}</span>
                    {me.then(|| view! { <CopyPresenterLink conn/> }.into_any())}
                </p>
            }
            .into_any()
        })
    }}}
}

/// Copies `/r/{id}?presenter=…`, to present from another device.
#[component]
fn CopyPresenterLink(conn: Conn) -> impl IntoView {
    let said = RwSignal::new("Copy presenter link");
    let copy = move |_| {
        let Some(room) = conn.room.with_untracked(|r| r.as_ref().map(|r| r.room.clone())) else { return };
        let Some(token) = token_for(&room) else { return };
        spawn_local(async move {
            let origin = window().location().origin().unwrap_or_default();
            let ok = write_clipboard(&format!("{origin}/r/{room}?presenter={token}")).await;
            said.try_set(if ok { "Copied: keep it to yourself" } else { "Copy failed" });
        });
    };
    view! {
        <button class="button button-small" data-role="copy-presenter-link" on:click=copy>
            {move || said.get()}
        </button>
    }
}
