//! The teaching panel: what the viewer is looking at and why it behaves as
//! it does, next to the live numbers it talks about.
//!
//! Three ideas, in the order the demo shows them: replicas *diverge*
//! because each accepts likes locally and messages take time; concurrent
//! likes *merge* without loss thanks to the grow-only counter; and the
//! replicas *converge* once the messages land. Then the running strategy's
//! own account of itself (from [`StrategyKind::info`]) and the link delays.

use crate::app::Conn;
use crate::latency::LatencyTable;
use leptos::prelude::*;
use shared::region::RegionId;
use shared::strategy::StrategyKind;

#[component]
pub fn Explainer(conn: Conn) -> impl IntoView {
    view! {
        <section class="panel explainer" aria-labelledby="explainer-title">
            <h2 id="explainer-title">"What you are looking at"</h2>
            <div class="explainer-grid">
                <article class="lesson">
                    <h3><span class="step">"1"</span>"Why the numbers disagree"</h3>
                    <p>
                        "Each region keeps its own copy of the like counter and takes a like on the spot, "
                        "without asking anyone: that is what keeps it fast and available. The like then "
                        "travels to the other five regions as a message, and crossing an ocean takes time. "
                        "Until it lands, readers there see the older number. The replicas have "
                        <em>"diverged"</em>"."
                    </p>
                </article>
                <article class="lesson">
                    <h3><span class="step">"2"</span>"How simultaneous likes merge"</h3>
                    <p>
                        "Shipping a single total around would lose likes: two regions that each counted one "
                        "would both send “1”. So every replica holds a "<strong>"grow-only counter"</strong>
                        " (G-Counter): one slot per region, and each region only ever raises its own slot. "
                        "Merging two copies keeps the larger value of each slot, so order, delay and "
                        "duplicates do not matter. The count shown is the sum of the slots."
                    </p>
                    <MergeNote conn/>
                    <Slots conn/>
                </article>
                <article class="lesson">
                    <h3><span class="step">"3"</span>"What “converged” means"</h3>
                    <p>
                        "Once the likes stop and every message has landed, all six replicas hold the same "
                        "slots, so they show the same sum: they have "<em>"converged"</em>". Eventual "
                        "consistency promises exactly that, and nothing about when. Once nothing in flight "
                        "or waiting can change a replica any more, the room has "<em>"settled"</em>": the "
                        "header says how long that took, from the last like to the last change, and the "
                        "verdict checks the count against every like acknowledged."
                    </p>
                </article>
                <Strategy conn/>
                <article class="lesson lesson-wide">
                    <h3>"Link delays"</h3>
                    <p>
                        "Delays follow real distances between the cities, stretched so a person can watch "
                        "them: nearer regions hear about a like first."
                    </p>
                    <LatencyTable conn/>
                </article>
            </div>
        </section>
    }
}

/// Whether the room's current strategy actually merges with the G-Counter:
/// private rooms can switch to ones that do not, and the lesson must not
/// claim otherwise.
#[component]
fn MergeNote(conn: Conn) -> impl IntoView {
    let kind = conn.select(|s| s.strategy);
    view! {{move || {
        kind.get().map(|kind| match kind {
            StrategyKind::EventPush | StrategyKind::BackgroundSync => view! {
                <p class="note note-ok">"This room’s strategy merges exactly this way."</p>
            }
            .into_any(),
            other => view! {
                <p class="note note-warn">
                    "This room now runs “"{other.info().name}"”, which does not: "
                    "compare its failure mode below."
                </p>
            }
            .into_any(),
        })
    }}}
}

/// The merged counter right now, slot by slot: what every replica will show
/// once the messages land.
#[component]
fn Slots(conn: Conn) -> impl IntoView {
    let slots = conn.select(|s| s.truth.per_region.clone());
    let total = move || slots.with(|s| s.as_ref().map_or(0, |s| s.iter().sum::<u64>()));
    view! {
        <figure class="slots" aria-label="The merged counter, one slot per region">
            <div class="slot-row">
                {RegionId::all()
                    .map(|id| {
                        let value = move || slots.with(|s| s.as_ref().and_then(|s| s.get(id.index()).copied()).unwrap_or(0));
                        view! {
                            <div class="slot" title=id.info().city>
                                <span class="slot-name">{id.info().country}</span>
                                <span class="slot-value">{move || value()}</span>
                            </div>
                        }
                    })
                    .map(IntoAny::into_any).collect::<Vec<_>>()}
                <div class="slot slot-sum">
                    <span class="slot-name">"sum"</span>
                    <span class="slot-value">{move || total()}</span>
                </div>
            </div>
            <figcaption>"Every like ever accepted, by the region that took it."</figcaption>
        </figure>
    }
}

/// The running strategy, in its own words.
#[component]
fn Strategy(conn: Conn) -> impl IntoView {
    let kind = conn.select(|s| s.strategy);
    view! {{move || {
        kind.get().map(|kind: StrategyKind| {
            let info = kind.info();
            view! {
                <article class="lesson lesson-strategy" data-role="strategy">
                    <h3>"Strategy: "{info.name}</h3>
                    <dl class="strategy-facts">
                        <dt>"How"</dt>
                        <dd>{info.how}</dd>
                        <dt>"Guarantee"</dt>
                        <dd>{info.guarantee}</dd>
                        <dt>"Failure mode"</dt>
                        <dd>{info.failure}</dd>
                    </dl>
                </article>
            }
            .into_any()
        })
    }}}
}
