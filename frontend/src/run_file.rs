//! A room's run as a file: *Export run* saves the server's `run` answer as
//! JSON, *Import run* sends a chosen file to `POST /api/import` and goes to
//! the room the server made of it (keeping its presenter token: whoever
//! imports a run presents the room it makes).
//!
//! Import is plain HTTP rather than the WebSocket because a run can be
//! megabytes, far over a socket message's 1 KiB (see the README). The
//! server validates the file; its refusal is shown as it says it.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Saves `run` (the server's `run` answer, kept as JSON: the page never
/// decodes a whole run) as `likewise-run-<seed>.json` through a temporary
/// link. The page's JSON values keep their keys in the order they came
/// (serde_json's `preserve_order`, frontend/Cargo.toml), so the file lists
/// them as the server sent them; the content, the 64-bit seed included, is
/// the server's, and import reads any order.
pub fn download(run: &serde_json::Value) {
    if let Err(e) = try_download(run) {
        leptos::logging::warn!("cannot save the run: {e:?}");
    }
}

fn try_download(run: &serde_json::Value) -> Result<(), JsValue> {
    // The page's own writer, not serde_json's (README, "Page weight").
    let json = crate::connection::pretty(run);
    let parts = js_sys::Array::of1(&JsValue::from_str(&json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = leptos::prelude::document();
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    let seed = run.get("seed").and_then(serde_json::Value::as_u64).unwrap_or_default();
    a.set_download(&format!("likewise-run-{seed:x}.json"));
    a.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Sends the file to the server and returns the new room's id, or the
/// server's reason for refusing it.
pub async fn import(file: web_sys::File) -> Result<String, String> {
    let text = JsFuture::from(file.text()).await.map_err(|_| "the file cannot be read".to_owned())?;
    let body = text.as_string().unwrap_or_default();
    start_room("/api/import", Some(&body)).await
}

/// POSTs to one of the server's room makers (`/api/rooms`, `/api/import`),
/// keeps the new room's presenter token (whoever makes a room presents it)
/// and returns its id, or the server's reason for refusing.
pub async fn start_room(path: &str, body: Option<&str>) -> Result<String, String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    let fetch = leptos::prelude::window().fetch_with_str_and_init(path, &init);
    let response: web_sys::Response = JsFuture::from(fetch)
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|_| "the server cannot be reached".to_owned())?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    if !response.ok() {
        return Err(if text.is_empty() { format!("refused (HTTP {})", response.status()) } else { text });
    }
    // `{"room": …, "presenter": …}` read out of a JSON value (the page's
    // parser), as a derived `Deserialize` would: `presenter` may be missing
    // or null. The derive linked serde_json's struct decoder and its error
    // messages for this answer alone (README, "Page weight").
    let unreadable = || "the server's answer is unreadable".to_owned();
    let made: serde_json::Value = serde_json::from_str(&text).map_err(|_| unreadable())?;
    let room = made.get("room").and_then(serde_json::Value::as_str).ok_or_else(unreadable)?;
    let presenter = match made.get("presenter") {
        None | Some(serde_json::Value::Null) => None,
        Some(token) => Some(token.as_str().ok_or_else(unreadable)?),
    };
    if let Some(token) = presenter {
        crate::presenter::keep_token(room, token);
    }
    Ok(room.to_owned())
}
