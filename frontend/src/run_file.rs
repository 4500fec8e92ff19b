//! A room's run as a file: *Export run* saves the server's `run` answer as
//! JSON, *Import run* sends a chosen file to `POST /api/import` and goes to
//! the room the server made of it (keeping its presenter token: whoever
//! imports a run presents the room it makes).
//!
//! Import is plain HTTP rather than the WebSocket because a run can be
//! megabytes, far over a socket message's 1 KiB (see the README). The
//! server validates the file; its refusal is shown as it says it.

use crate::connection::json_string;
use serde_json::Value;
use std::fmt::Write;
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
    let mut json = String::new();
    pretty(&mut json, run, 0);
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

/// `value` as serde_json's `to_string_pretty` writes it (two spaces an
/// indent, `"key": value`, `[]` and `{}` when empty), by hand: serde_json's
/// writer brings its own float printer into the page, and a run holds
/// floats (the links' loss and duplication, the time scale). Floats go
/// through [`crate::format::push_json`], which writes what serde_json
/// writes for them (docs/page-weight.md); a test compares the two on a
/// whole run.
fn pretty(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => {
                let _ = write!(out, "{u}");
            }
            (None, Some(i), _) => {
                let _ = write!(out, "{i}");
            }
            (None, None, f) => crate::format::push_json(out, f.unwrap_or(f64::NAN)),
        },
        Value::String(s) => json_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                pretty(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                json_string(out, key);
                out.push_str(": ");
                pretty(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
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
    // `{"room": "…", "presenter": "…"}`, the presenter optional, read from
    // a JSON value rather than by a derived decoder: that one brings
    // serde_json's "invalid type" messages, whose float printer is the
    // only one the page would still hold (docs/page-weight.md).
    let unreadable = || "the server's answer is unreadable".to_owned();
    let made: Value = serde_json::from_str(&text).map_err(|_| unreadable())?;
    let room = made.get("room").and_then(Value::as_str).ok_or_else(unreadable)?;
    let presenter = match made.get("presenter") {
        None | Some(Value::Null) => None,
        Some(token) => Some(token.as_str().ok_or_else(unreadable)?),
    };
    if let Some(token) = presenter {
        crate::presenter::keep_token(room, token);
    }
    Ok(room.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::kernel::network::LinkConditions;
    use shared::protocol::{Command, Control};
    use shared::region::RegionId;
    use shared::sim::replay::{Input, Run, RUN_FORMAT};
    use shared::sim::SimConfig;

    /// The saved file is what serde_json's `to_string_pretty` wrote before,
    /// byte for byte: a run with floats in its config and its inputs, a
    /// seed past 2⁵³, strings needing escapes, empty arrays and objects.
    #[test]
    fn a_run_is_written_as_serde_json_writes_it() {
        let r = |id: &str| RegionId::parse(id).unwrap();
        let control = |at, c| Input { at, command: Command::Control(c) };
        let mut inputs = vec![Input { at: 100, command: Command::Like(r("tokyo")) }];
        for (k, p) in [0.0, 0.01, 0.05, 0.1, 0.15, 0.2, 0.33, 0.5, 0.99, 1.0].into_iter().enumerate() {
            let conditions = LinkConditions { latency_ms: 900, jitter_ms: 30, loss: p, duplicate: p / 3.0, cut: false };
            inputs.push(control(200 + k as u64, Control::SetLink { from: r("tokyo"), to: r("virginia"), conditions }));
            inputs.push(control(300 + k as u64, Control::SetAllLinks { loss: p, duplicate: 1.0 - p, jitter_ms: None }));
        }
        for time_scale in [1.0, 0.1, 0.25, 2.5, 10.0] {
            let run = Run {
                format: RUN_FORMAT,
                seed: u64::MAX - 7,
                config: SimConfig { seed: u64::MAX - 7, time_scale, ..SimConfig::default() },
                inputs: inputs.clone(),
                until_ms: 2_000,
            };
            let Ok(value) = serde_json::to_value(&run) else { panic!("a run is JSON") };
            let mut ours = String::new();
            pretty(&mut ours, &value, 0);
            assert_eq!(ours, serde_json::to_string_pretty(&value).unwrap_or_default());
        }
        let odd = serde_json::json!({
            "empty": [], "none": {}, "nested": [[], {"a": [1, -2, 3.5]}],
            "text": "quote \" slash \\ tab \t line \n cr \r bell \u{7} bs \u{8} ff \u{c} del \u{7f} é ⇄",
            "neg": -9_223_372_036_854_775_808_i64, "big": u64::MAX, "null": null, "yes": true, "no": false,
        });
        let mut ours = String::new();
        pretty(&mut ours, &odd, 0);
        assert_eq!(ours, serde_json::to_string_pretty(&odd).unwrap_or_default());
    }
}
