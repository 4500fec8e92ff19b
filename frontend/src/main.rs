//! Likewise in the browser: entry point. Mounts the [`app::App`] component;
//! everything else hangs off it.
//!
//! Module map, roughly in the order data flows:
//! - [`route`]: which room the address names.
//! - [`connection`]: the WebSocket, reconnects, and the signals it feeds.
//! - [`clock`]: animation ticks and the simulated-time estimate.
//! - [`app`] lays out [`header`] (with [`status_pill`]), [`share_bar`],
//!   [`region_card`], [`network_view`] (drawn with [`geo`]) and
//!   [`explainer`] (with [`latency`]); [`toast`] and [`banner`] for notices.
//! - [`format`]: every number-to-words rule, unit-tested natively.

mod app;
mod banner;
mod clock;
mod connection;
mod explainer;
mod format;
mod geo;
mod header;
mod latency;
mod logo;
mod network_view;
mod region_card;
mod route;
mod share_bar;
mod status_pill;
mod toast;

fn main() {
    // Panics become readable console errors instead of "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
