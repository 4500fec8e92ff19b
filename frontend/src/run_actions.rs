//! Fork, export and import: a room's history as something to branch and
//! share.
//!
//! *Fork from here* makes a new private room whose log is this one's up to
//! the moment shown (live: now), and goes there: the two rooms are the same
//! until that moment and independent after. *Export run* saves the room's
//! run (seed, configuration, every timed input) as a file; *Import run*
//! turns such a file into a new room. All three are open in the public room
//! too: they change nothing for anyone else.

use crate::app::Conn;
use crate::run_file;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::ClientMessage;
use wasm_bindgen::JsCast;

#[component]
pub fn RunActions(conn: Conn) -> impl IntoView {
    let (import_error, set_import_error) = signal(None::<String>);
    let offline = move || conn.status.get() != crate::connection::Status::Live;
    let fork = move |_| {
        let at_ms = conn.viewing.get_untracked().unwrap_or_else(|| conn.live_now.get_untracked());
        conn.send(ClientMessage::Fork { at_ms });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        let Some(file) = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0)) else { return };
        set_import_error.set(None);
        spawn_local(async move {
            match run_file::import(file).await {
                Ok(room) => {
                    let _ = window().location().set_href(&format!("/r/{room}"));
                }
                Err(why) => {
                    set_import_error.set(Some(why));
                }
            }
        });
        // Choosing the same file again must fire `change` again.
        if let Some(i) = input {
            i.set_value("");
        }
    };
    let fork_title = move || match conn.viewing.get() {
        Some(_) => "A new private room with this room's history up to the moment you are viewing",
        None => "A new private room with this room's history up to now",
    };
    view! {
        <div class="run-block">
        <div class="run-actions" role="group" aria-label="This room's run">
            <button class="button" data-role="fork" disabled=move || offline() title=move || fork_title() on:click=fork>
                "Fork from here"
            </button>
            <button class="button" data-role="export-run" disabled=move || offline()
                title="Download this room's run: seed, settings and every timed input, as JSON"
                on:click=move |_| conn.send(ClientMessage::Export)>
                "Export run"
            </button>
            <label class="button import" title="Open an exported run as a new room">
                "Import run…"
                <input type="file" accept="application/json,.json" class="visually-hidden"
                    data-role="import-run" on:change=on_file/>
            </label>
        </div>
        {move || import_error.get().map(|e| view! {
            <p class="time-note" data-role="import-error" data-state="bad">{format!("Import refused: {e}")}</p>
        }.into_any())}
        </div>
    }
}
