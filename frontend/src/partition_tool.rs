//! Split the world in two with one click, and heal it with another.
//!
//! A network partition is rarely one link: "the ocean cable is cut" means
//! every link from one side to the other is gone, and cutting them one by
//! one (nine pair cuts for three against three) hides the idea behind
//! clicks. Here the reader puts each region in one of two groups (a tap
//! moves it across), then **Split** cuts every link between the groups —
//! each with the existing `cut` control, so the server, the other viewers
//! and the log see ordinary cuts — and **Heal all** restores every link.
//! The grouping is this page's own until it is used; the cuts are the
//! room's, for everyone.

use crate::lab::{pair, Lab};
use leptos::prelude::*;
use shared::region::RegionId;

/// The links a split of `west` from the rest cuts.
pub fn crossing(west: &[RegionId]) -> Vec<(RegionId, RegionId)> {
    let east: Vec<RegionId> = RegionId::all().filter(|r| !west.contains(r)).collect();
    west.iter().flat_map(|&a| east.iter().map(move |&b| pair(a, b))).collect()
}

#[component]
pub fn PartitionTool(lab: Lab) -> impl IntoView {
    // The Atlantic–Indian Ocean split: the Americas and Europe against Asia
    // and Oceania, so each side has likes of its own to diverge with.
    let west = RwSignal::new(
        ["virginia", "saopaulo", "frankfurt"].iter().filter_map(|id| RegionId::parse(id).ok()).collect::<Vec<_>>(),
    );
    // Computed where read (nine pairs at most), not a memo of its own type.
    let links = move || west.with(|w| crossing(w));
    let split = move || {
        let l = links();
        !l.is_empty() && lab.cuts.with(|c| l.iter().all(|p| c.contains(p)))
    };
    let toggle = move |id: RegionId| {
        west.update(|w| match w.iter().position(|&r| r == id) {
            Some(i) => {
                w.remove(i);
            }
            None => w.push(id),
        })
    };
    let chips = move |in_west: bool| {
        RegionId::all()
            .filter(move |r| west.with(|w| w.contains(r)) == in_west)
            .map(|id| {
                view! {
                    <button
                        class="partition-chip"
                        data-role="partition-chip"
                        data-for=id.id()
                        data-group=if in_west { "a" } else { "b" }
                        disabled=move || !lab.usable()
                        title="Move to the other side"
                        on:click=move |_| toggle(id)
                    >
                        {id.info().city}
                    </button>
                }
            })
            .map(IntoAny::into_any)
            .collect::<Vec<_>>()
    };
    view! {
        <section
            class="partition"
            data-role="partition-groups"
            data-state=move || if split() { "split" } else { "whole" }
            aria-labelledby="partition-title"
        >
            <h2 id="partition-title" class="partition-title">"Split the world"</h2>
            <div class="partition-sides">
                <div class="partition-side" aria-label="Side A">{move || chips(true)}</div>
                <span class="partition-gap" aria-hidden="true">{move || if split() { "✂" } else { "⇄" }}</span>
                <div class="partition-side" aria-label="Side B">{move || chips(false)}</div>
            </div>
            <div class="partition-actions">
                <button
                    class="button button-danger"
                    data-role="partition-split"
                    disabled=move || !lab.usable() || split() || links().is_empty()
                    on:click=move |_| {
                        for (a, b) in west.with_untracked(|w| crossing(w)) {
                            lab.cut(a, b);
                        }
                    }
                >
                    {move || format!("Split ({} links)", links().len())}
                </button>
                <button
                    class="button"
                    data-role="partition-heal"
                    disabled=move || !lab.usable() || lab.cuts.with(|c| c.is_empty())
                    on:click=move |_| lab.heal_all()
                >
                    "Heal all"
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_three_three_split_cuts_nine_links_and_none_within_a_side() {
        let west: Vec<RegionId> =
            ["virginia", "saopaulo", "frankfurt"].iter().map(|i| RegionId::parse(i).unwrap()).collect();
        let links = crossing(&west);
        assert_eq!(links.len(), 9);
        for (a, b) in links {
            assert_ne!(west.contains(&a), west.contains(&b), "{a:?}–{b:?} crosses");
        }
    }

    #[test]
    fn nothing_to_cut_when_one_side_is_empty() {
        assert!(crossing(&[]).is_empty());
        assert!(crossing(&RegionId::all().collect::<Vec<_>>()).is_empty());
    }
}
