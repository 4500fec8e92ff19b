//! The menu a link opens on the map: cut or heal each direction on its own.
//!
//! Real partitions are not always symmetric: a firewall rule or a broken
//! route can stop Tokyo's messages to Virginia while Virginia's still reach
//! Tokyo. Then one side hears the other and not the reverse, and the two
//! counts drift apart in one direction only. The menu lists both
//! directions with their state, and the both-ways action the handle does.
//! It sits at the link's midpoint, like the region menu; Escape closes it.

use crate::geo::{midpoint, MAP_H, MAP_W};
use crate::lab::{Lab, Pair};
use crate::network_view::position;
use leptos::html;
use leptos::prelude::*;
use shared::region::RegionId;

#[component]
pub fn LinkMenu(lab: Lab, open: RwSignal<Option<Pair>>) -> impl IntoView {
    view! { {move || open.get().filter(|_| !lab.locked.get()).map(|pair| view! { <Menu pair lab open/> }.into_any())} }
}

#[component]
fn Menu(pair: Pair, lab: Lab, open: RwSignal<Option<Pair>>) -> impl IntoView {
    let (a, b) = pair;
    let m = midpoint(position(a), position(b));
    let (x, y) = (m.x / MAP_W * 100.0, m.y / MAP_H * 100.0);
    let class = format!(
        "region-menu link-menu{}{}",
        if x > 62.0 { " menu-left" } else { "" },
        if y > 55.0 { " menu-up" } else { "" }
    );
    let both_cut = move || lab.directed_cuts.with(|d| d.contains(&(a, b)) && d.contains(&(b, a)));
    let first = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = first.get() {
            let _ = button.focus();
        }
    });
    let close = move || open.set(None);
    view! {
        <div
            class=class
            role="dialog"
            aria-label=format!("The link {} ⇄ {}", a.info().city, b.info().city)
            data-role="link-menu"
            data-from=a.id()
            data-to=b.id()
            style=format!("left:{}%;top:{}%", crate::format::fixed(x, 2), crate::format::fixed(y, 2))
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    close();
                }
            }
        >
            <div class="menu-head">
                <strong>{format!("{} ⇄ {}", a.info().city, b.info().city)}</strong>
                <button class="notice-close" aria-label="Close" on:click=move |_| close()>"×"</button>
            </div>
            <div class="menu-tools menu-column">
                <Direction from=a to=b lab first/>
                <Direction from=b to=a lab first=NodeRef::new()/>
                <button
                    class="tool"
                    data-role="link-menu-both"
                    disabled=move || !lab.usable()
                    on:click=move |_| if both_cut() { lab.heal(a, b) } else { lab.cut(a, b) }
                >
                    {move || if both_cut() { "Heal both ways" } else { "Cut both ways" }}
                </button>
            </div>
        </div>
    }
}

/// One direction's button: "Cut Tokyo → Virginia" or "Heal …".
#[component]
fn Direction(from: RegionId, to: RegionId, lab: Lab, first: NodeRef<html::Button>) -> impl IntoView {
    let cut = move || lab.directed_cuts.with(|d| d.contains(&(from, to)));
    let (f, t) = (from.info().city, to.info().city);
    view! {
        <button
            class="tool tool-danger"
            data-active=move || cut().to_string()
            node_ref=first
            data-role="link-direction"
            data-from=from.id()
            data-to=to.id()
            data-cut=move || cut().to_string()
            disabled=move || !lab.usable()
            on:click=move |_| lab.one_way(from, to, !cut())
        >
            {move || if cut() { format!("Heal {f} → {t}") } else { format!("Cut {f} → {t}") }}
        </button>
    }
}
