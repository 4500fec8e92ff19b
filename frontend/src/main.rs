//! Likewise in the browser: entry point. Mounts the [`app::App`] component;
//! everything else hangs off it.
//!
//! Module map, roughly in the order data flows:
//! - [`route`]: which room the address names.
//! - [`connection`]: the WebSocket, reconnects, and the signals it feeds.
//! - [`clock`]: animation ticks and the simulated-time estimate.
//! - [`lab`]: the room's controls as one handle, and its partitions.
//! - [`app`] lays out [`header`] (with [`status_pill`]), [`share_bar`],
//!   [`people_bar`] (who you are: [`me`]),
//!   [`region_card`], the lab band ([`controls`] with [`strategy_picker`]
//!   and [`fault_controls`], built from [`knobs`]; beside it [`verdict`],
//!   made of [`switch_notice`], [`verdict_judgement`] and [`verdict_facts`]),
//!   [`network_view`] (the world map, drawn with [`geo`], its messages on a
//!   canvas by [`flights`], a tap on a region opening [`region_menu`]),
//!   [`partition_tool`], [`explainer`] (with [`latency`]); [`loss_note`] on
//!   the cards; [`shortcuts`]; [`toast`] and [`banner`] for notices.
//! - Time and history: [`time_panel`] ([`time_controls`], [`scrubber`],
//!   [`run_actions`] with [`run_file`]) and [`history_panel`] ([`timeline`],
//!   [`spacetime`]), drawn from the streamed [`history`].
//! - [`format`]: every number-to-words rule, unit-tested natively.
//! - [`keyed_list`]: the one keyed list (`<For>`) every list on the page shares.
//! - [`when`]: the one `<Show>` every conditional part of the page shares.
//! - [`sort`]: the one sort every list on the page is ordered with.
//! - [`selection`]: the one memo type every selected part of the frame shares.
//!
//! Page weight: the wasm is downloaded by every visitor, and generic code is
//! compiled once per type it is used with, so the components follow a few
//! rules that keep the view layer compiled once (docs/page-weight.md):
//! - lists through [`keyed_list::keyed_list`], never `<For>`; conditional
//!   parts through [`when::When`], never `<Show>`; sorts through
//!   [`sort::sort_by_key`];
//! - a reactive closure is written as a closure inside `view!` (`{move ||
//!   …}`, `attr=move || …`), not passed by name or returned from a
//!   component, so `--cfg erase_components` can erase it;
//! - a closure or list that yields views yields `AnyView`s (`.into_any()`,
//!   `.map(IntoAny::into_any).collect::<Vec<_>>()`), one type for all.

// `attr=move || name()` looks like a redundant closure to clippy, but it is
// the point: only a closure written in `view!` is erased (see above).
#![allow(clippy::redundant_closure)]

mod app;
mod banner;
mod change_log;
mod clock;
mod connection;
mod controls;
mod explainer;
mod fault_controls;
mod flights;
mod format;
mod geo;
mod header;
mod history;
mod history_panel;
mod keyed_list;
mod knobs;
mod lab;
mod latency;
mod link_editor;
mod link_menu;
mod logo;
mod loss_note;
mod me;
mod network_view;
mod partition_tool;
mod people_bar;
mod presenter;
mod read_model;
mod region_card;
mod region_menu;
mod route;
mod run_actions;
mod run_file;
mod saga_panel;
mod scenario_panel;
mod scenario_strip;
mod scrubber;
mod selection;
mod share_bar;
mod shortcuts;
mod sort;
mod spacetime;
mod status_pill;
mod strategy_picker;
mod switch_notice;
mod time_controls;
mod time_note;
mod time_panel;
mod timeline;
mod toast;
mod verdict;
mod verdict_facts;
mod verdict_judgement;
mod when;

fn main() {
    // Panics become readable console errors instead of "unreachable": the
    // message and where it happened, as `console.error` (whose own stack
    // trace the browser shows beside it). console_error_panic_hook did the
    // same plus a JS `Error`'s stack in the text, for more wasm (docs/page-weight.md).
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&info.to_string().into())));
    // The loading skeleton in index.html has done its job once the app is
    // in the page: remove it before mounting, so nothing shows twice.
    if let Some(skeleton) = leptos::prelude::document().get_element_by_id("skeleton") {
        skeleton.remove();
    }
    leptos::mount::mount_to_body(app::App);
}

/// The page's memory allocator: talc, in place of the standard library's
/// dlmalloc. Same job (the heap grows with `memory.grow` and freed blocks are
/// reused), less code: 2.1 KB less wasm as sent (docs/page-weight.md, step
/// 38). `disable-realloc-in-place` (Cargo.toml) trades growing a block where
/// it lies for a copy, which is what makes it small; the page's vectors are
/// short. The server and the native tests keep the system allocator.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
