//! The menu a region opens on the map: like there, and — in a private
//! room — crash or restart it, cut it off or bring it back.
//!
//! Direct manipulation on the picture itself is the quickest way to ask
//! "what if Tokyo went down?"; the same actions stay on the region's card
//! (the stable hooks `isolate` and `crash` live there). The menu sits next
//! to its node, in the same percentages the map's coordinates give, so it
//! follows the map at any width. Escape or a second tap closes it.

use crate::app::Conn;
use crate::geo::{MAP_H, MAP_W};
use crate::lab::{isolated, Lab};
use crate::network_view::position;
use crate::when::When;
use leptos::html;
use leptos::prelude::*;
use shared::region::RegionId;

#[component]
pub fn RegionMenu(conn: Conn, lab: Lab, open: RwSignal<Option<RegionId>>) -> impl IntoView {
    view! {
        {move || open.get().map(|id| view! { <Menu id conn lab open/> }.into_any())}
    }
}

#[component]
fn Menu(id: RegionId, conn: Conn, lab: Lab, open: RwSignal<Option<RegionId>>) -> impl IntoView {
    let replica = conn.select(move |s| s.replicas.iter().find(|x| x.region == id).map(|x| (x.crashed, x.available)));
    let down = move || replica.get().flatten().is_some_and(|(c, _)| c);
    let available = move || replica.get().flatten().is_some_and(|(_, a)| a);
    let cut_off = move || lab.cuts.with(|c| isolated(c, id));
    let p = position(id);
    let (x, y) = (p.x / MAP_W * 100.0, p.y / MAP_H * 100.0);
    // Open away from the nearest edges, so the menu stays on the map.
    let class =
        format!("region-menu{}{}", if x > 62.0 { " menu-left" } else { "" }, if y > 55.0 { " menu-up" } else { "" });
    let city = id.info().city;
    let first = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = first.get() {
            let _ = b.focus();
        }
    });
    let close = move || open.set(None);
    view! {
        <div
            class=class
            role="dialog"
            aria-label=format!("{city}: actions")
            data-role="region-menu"
            data-for=id.id()
            style=format!("left:{}%;top:{}%", crate::format::fixed(x, 2), crate::format::fixed(y, 2))
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    close();
                }
            }
        >
            <div class="menu-head">
                <strong>{city}</strong>
                <button class="notice-close" aria-label="Close" on:click=move |_| close()>"×"</button>
            </div>
            <button
                class="like-button"
                node_ref=first
                data-role="menu-like"
                disabled=move || !(conn.is_live() && available())
                on:click=move |_| conn.like(id)
            >
                "Like in "
                {city}
            </button>
            <When
                when=move || !lab.locked.get()
                fallback=move || {
                    let note = if lab.public.get_untracked() {
                        "Faults need a room of your own: press New room."
                    } else {
                        "The presenter changes this room; you can like and watch."
                    };
                    view! { <p class="menu-note">{note}</p> }
                }
            >
                <div class="menu-tools">
                    <button
                        class="tool"
                        data-role="menu-isolate"
                        disabled=move || !lab.usable()
                        on:click=move |_| if cut_off() { lab.rejoin(id) } else { lab.isolate(id) }
                    >
                        {move || if cut_off() { "Rejoin" } else { "Isolate" }}
                    </button>
                    <button
                        class="tool tool-danger"
                        data-role="menu-crash"
                        disabled=move || !lab.usable()
                        on:click=move |_| if down() { lab.restart(id) } else { lab.crash(id) }
                    >
                        {move || if down() { "Restart" } else { "Crash" }}
                    </button>
                </div>
            </When>
        </div>
    }
}
