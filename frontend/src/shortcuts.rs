//! Keyboard shortcuts, and the overlay that lists them (`?`).
//!
//! Only what exists gets a key: 1–6 like in a region (west to east, the
//! order of the cards under the map), `?` shows this help and Escape closes
//! it. Keys are ignored while typing in a form field or with a modifier
//! held, so they never steal the browser's own shortcuts.

use crate::app::Conn;
use crate::geo::west_to_east;
use crate::when::When;
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The region key `key` likes in, if any ("1" is the westernmost).
pub fn region_for_key(key: &str) -> Option<shared::region::RegionId> {
    let n: usize = key.parse().ok()?;
    west_to_east().get(n.checked_sub(1)?).copied()
}

fn typing(ev: &ev::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
}

#[component]
pub fn Shortcuts(conn: Conn) -> impl IntoView {
    let help = RwSignal::new(false);
    let handle = window_event_listener(ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing(&ev) {
            return;
        }
        let key = ev.key();
        match key.as_str() {
            "?" => help.update(|h| *h = !*h),
            "Escape" => help.set(false),
            k => {
                if let Some(region) = region_for_key(k) {
                    conn.like(region);
                }
            }
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <button class="shortcut-hint" aria-keyshortcuts="?" on:click=move |_| help.update(|h| *h = !*h)>
            "Keys "<kbd>"?"</kbd>
        </button>
        <When when=move || help.get()>
            <div class="shortcut-help" data-role="shortcut-help" role="dialog" aria-labelledby="shortcut-title">
                <div class="menu-head">
                    <h2 id="shortcut-title">"Keyboard shortcuts"</h2>
                    <button class="notice-close" aria-label="Close" on:click=move |_| help.set(false)>"×"</button>
                </div>
                <dl class="shortcut-list">
                    {west_to_east()
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| {
                            view! {
                                <div>
                                    <dt><kbd>{(i + 1).to_string()}</kbd></dt>
                                    <dd>{format!("Like in {}", r.info().city)}</dd>
                                </div>
                            }
                        })
                        .map(IntoAny::into_any).collect::<Vec<_>>()}
                    <div><dt><kbd>"Tab"</kbd></dt><dd>"Reach every region, link and control on the map"</dd></div>
                    <div><dt><kbd>"?"</kbd></dt><dd>"Show or hide this list"</dd></div>
                    <div><dt><kbd>"Esc"</kbd></dt><dd>"Close this list or a region's menu"</dd></div>
                </dl>
            </div>
        </When>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_one_to_six_are_the_regions_west_to_east() {
        assert_eq!(region_for_key("1").map(|r| r.id()), Some("virginia"));
        assert_eq!(region_for_key("6").map(|r| r.id()), Some("sydney"));
        assert_eq!(region_for_key("0"), None);
        assert_eq!(region_for_key("7"), None);
        assert_eq!(region_for_key("x"), None);
    }
}
