//! The world map, the page's first screen: the six regions on real land,
//! the links between them, and every message on the wire crossing it.
//!
//! Three layers share one box and one coordinate system (see [`crate::geo`]):
//! an SVG underneath (graticule, land, links, busy lanes, cuts), a canvas
//! with the messages ([`crate::flights`], redrawn every animation frame
//! without touching the DOM), and an SVG on top with what can be touched:
//! a region opens its menu ([`crate::region_menu`]), a link's handle cuts or
//! heals it both ways, and a tap on the link's line (or Shift+Enter on its
//! handle) opens the link's menu ([`crate::link_menu`]) to cut or heal each
//! direction on its own. A link cut one way is drawn as a dashed red lane
//! on the side of the direction that is cut. The land is a path in `index.html` (`<use href="#land">`), so
//! neither the wasm nor a fetch carries it.
//!
//! Honesty rules: only what the latest frame lists is drawn; the server
//! lists up to 600 packets to a small room but only the soonest
//! [`MAX_PACKETS_IN_VIEW`] to a crowd, so the exact per-link counts are
//! listed under the map too. Cut links are drawn as dashed red
//! lines, so a partition shows where the messages would fly.

use crate::app::Conn;
use crate::flights::{FlightCanvas, Look};
use crate::format::{coord, count_of, fixed, in_flight_text};
use crate::geo::{graticule, land_transform, midpoint, project, Lane, Point, MAP_H, MAP_W};
use crate::keyed_list::keyed_list;
use crate::lab::{pair, Lab, Pair};
use crate::link_editor::{arrow, group, summary};
use crate::link_menu::LinkMenu;
use crate::region_menu::RegionMenu;
use crate::selection::Selection;
use crate::sort::sort_by_key;
use crate::when::When;
use leptos::prelude::*;
use shared::protocol::view::{LinkView, MAX_PACKETS_IN_VIEW};
use shared::region::RegionId;

/// Where a region's node sits on the map.
pub fn position(id: RegionId) -> Point {
    let r = id.info();
    project(r.lat, r.lon)
}

/// Every undirected link, in a fixed order.
fn all_pairs() -> Vec<Pair> {
    RegionId::all().flat_map(|a| RegionId::all().filter(move |&b| a < b).map(move |b| pair(a, b))).collect()
}

/// The links with messages on them, busiest first.
/// A selection (`None` before the first frame), not a memo of its own type.
fn busy_links(conn: Conn) -> Selection<Vec<LinkView>> {
    conn.select(|s| {
        let mut links = s.links.clone();
        // Busiest first, then by the link's regions: one key, most
        // significant part first.
        sort_by_key(&mut links, |l| {
            u64::from(u32::MAX - l.in_flight) << 32 | (l.from.index() as u64) << 16 | l.to.index() as u64
        });
        links
    })
}

fn straight(a: Point, b: Point) -> String {
    format!("M{} {} L{} {}", fixed(a.x, 1), fixed(a.y, 1), fixed(b.x, 1), fixed(b.y, 1))
}

#[component]
pub fn NetworkView(conn: Conn, lab: Lab) -> impl IntoView {
    let links = busy_links(conn);
    let total = conn.select(|s| s.in_flight);
    let total = move || total.get().unwrap_or(0);
    // A super like's saga messages, counted apart from replication.
    let sagas = conn.select(|s| s.saga_in_flight);
    let sagas = move || sagas.get().unwrap_or(0);
    // How many of the listed messages carry news: an idle room's gossip
    // is labelled as such rather than looking like likes on their way.
    let news =
        conn.select(|s| s.packets.iter().filter(|p| matches!(Look::of(p), Look::Like | Look::Count)).count() as u64);
    // Every message on the wire is listed, and each is background work
    // that changes nothing where it lands.
    let idle_gossip = conn.select(|s| {
        let listed = || s.packets.iter().filter(|p| !p.saga);
        s.in_flight > 0
            && listed().count() as u32 == s.in_flight
            && listed().all(|p| p.background && Look::of(p) == Look::Quiet)
    });
    // Pairs cut both ways are one straight dashed line; a direction cut
    // alone is its own (curved, one-sided) lane.
    let both = move |(a, b): Pair| lab.directed_cuts.with(|d| d.contains(&(a, b)) && d.contains(&(b, a)));
    // Both sets are read in place (`with`), not cloned (`get`): a set's
    // clone and owning iterator would be code of their own. A direction
    // in the set is one way exactly when its reverse is not.
    let cuts = move || lab.cuts.with(|c| c.iter().copied().filter(|p| both(*p)).collect::<Vec<_>>());
    let one_way = move || {
        lab.directed_cuts
            .with(|d| d.iter().copied().filter(|&(a, b)| !d.contains(&(b, a))).collect::<Vec<(RegionId, RegionId)>>())
    };
    // The link whose menu is open, if any.
    let link_open = RwSignal::new(None::<Pair>);
    // Links someone gave conditions of their own (the lab's "One link").
    let tuned = Memo::new(move |_| {
        conn.frame.with(|r| r.as_ref().map(|r| group(&r.frame.sim.faults.custom)).unwrap_or_default())
    });
    let any_tuned = Signal::derive(move || tuned.with(|t| !t.is_empty()));
    let busiest = move || links.with(|l| l.as_ref().and_then(|l| l.first()).map_or(1, |l| l.in_flight.max(1)));
    // The region whose menu is open, if any.
    let open = RwSignal::new(None::<RegionId>);
    let view_box = format!("0 0 {} {}", coord(MAP_W), fixed(MAP_H, 1));

    view! {
        <section class="world" data-role="map" aria-labelledby="map-title">
            <h2 id="map-title" class="visually-hidden">"World map: the six regions and the messages between them"</h2>
            <div class="map-frame">
                <svg
                    class="map"
                    viewBox=view_box.clone()
                    role="img"
                    aria-label=move || format!("World map of the six regions with {}", in_flight_text(total()))
                >
                    <g class="graticule">
                        {graticule()
                            .into_iter()
                            .map(|(x1, y1, x2, y2, equator)| {
                                view! {
                                    <line
                                        class:equator=equator
                                        x1=fixed(x1, 1)
                                        y1=fixed(y1, 1)
                                        x2=fixed(x2, 1)
                                        y2=fixed(y2, 1)
                                    ></line>
                                }
                            })
                            .map(IntoAny::into_any).collect::<Vec<_>>()}
                    </g>
                    <use href="#land" class="land" transform=land_transform()></use>
                    <g class="links">
                        {all_pairs()
                            .into_iter()
                            .map(|(a, b)| view! { <path class="link-line" d=straight(position(a), position(b))></path> })
                            .map(IntoAny::into_any).collect::<Vec<_>>()}
                    </g>
                    <g class="lanes">
                        // Keyed by count too: `For` does not re-render a kept row,
                        // and the stroke width depends on the count.
                        {keyed_list(move || links.get().unwrap_or_default(), |l| (l.from, l.to, l.in_flight), move |link| view! {
                            <path
                                class="lane"
                                d=Lane::between(position(link.from), position(link.to)).path()
                                stroke-width=move || {
                                    fixed(1.0 + 2.0 * f64::from(link.in_flight) / f64::from(busiest()), 1)
                                }
                            ></path>
                        }.into_any())}
                    </g>
                    <g class="tuned">
                        {keyed_list(move || tuned.get(), |c| (c.from, c.to, c.both_ways, summary(&c.conditions)), |c| view! {
                            <path class="tuned-lane" data-role="tuned-lane" d=Lane::between(position(c.from), position(c.to)).path()>
                                <title>
                                    {format!(
                                        "{}{}{}: set by hand, {}",
                                        c.from.info().city,
                                        arrow(c.both_ways),
                                        c.to.info().city,
                                        summary(&c.conditions),
                                    )}
                                </title>
                            </path>
                        }.into_any())}
                    </g>
                    <g class="cuts">
                        {keyed_list(cuts, |p| *p, |pair| view! {
                            <path class="cut-lane" data-role="cut-lane" d=straight(position(pair.0), position(pair.1))>
                                <title>{format!("{} ✂ {}: cut", pair.0.info().city, pair.1.info().city)}</title>
                            </path>
                        }.into_any())}
                        {move || {
                            one_way()
                                .into_iter()
                                .map(|(from, to)| {
                                    let (f, t) = (from.info().city, to.info().city);
                                    view! {
                                        <path
                                            class="cut-lane one-way"
                                            data-role="cut-lane"
                                            data-from=from.id()
                                            data-to=to.id()
                                            d=Lane::between(position(from), position(to)).path()
                                        >
                                            <title>{format!("{f} → {t}: cut one way ({t} hears {f} no more; {f} still hears {t})")}</title>
                                        </path>
                                    }
                                })
                                .map(IntoAny::into_any).collect::<Vec<_>>()
                        }}
                    </g>
                </svg>
                <FlightCanvas conn/>
                <svg class="map-top" viewBox=view_box>
                    <When when=move || !lab.locked.get()>
                        // Every link's wide hit line first, then every handle, so
                        // no link's line ever covers another link's handle.
                        <g class="link-hits" aria-hidden="true">
                            {all_pairs().into_iter().map(|p| view! { <LinkHit pair=p lab link_open/> }).map(IntoAny::into_any).collect::<Vec<_>>()}
                        </g>
                        <g class="link-handles">
                            {all_pairs().into_iter().map(|p| view! { <MapLink pair=p lab link_open/> }).map(IntoAny::into_any).collect::<Vec<_>>()}
                        </g>
                    </When>
                    <g class="nodes">{RegionId::all().map(|id| view! { <MapNode id conn lab open/> }).map(IntoAny::into_any).collect::<Vec<_>>()}</g>
                </svg>
                <RegionMenu conn lab open/>
                <LinkMenu lab open=link_open/>
                <p class="map-hud" aria-live="off">
                    <span class="count-chip" data-role="in-flight">{move || total() + sagas()}</span>
                    <span class="hud-text">
                        {move || {
                            let steps = count_of(sagas().into(), "super-like step", "super-like steps");
                            match (total(), news.get().unwrap_or(0), sagas()) {
                                (0, _, 0) => "nothing on the wire".to_owned(),
                                (0, _, _) => format!("in flight: {steps}"),
                                (t, _, k) if idle_gossip.get().unwrap_or(false) => {
                                    let gossip = count_of(t.into(), "message", "messages");
                                    let steps = if k == 0 { String::new() } else { format!("; {steps}") };
                                    format!("in flight: background gossip only, no news ({gossip}){steps}")
                                }
                                (t, n, k) => {
                                    let all = count_of(t.into(), "message", "messages");
                                    let steps = if k == 0 { String::new() } else { format!("; {steps}") };
                                    format!("in flight, {n} of them carrying news ({all}){steps}")
                                }
                            }
                        }}
                    </span>
                </p>
            </div>
            <Legend lab any_tuned/>
        </section>
    }
}

/// The exact number of messages on each busy link, folded under the cards:
/// the canvas draws what the frame lists (all of them in a small room, the
/// soonest [`MAX_PACKETS_IN_VIEW`] in a crowd).
#[component]
pub fn TrafficList(conn: Conn) -> impl IntoView {
    let links = busy_links(conn);
    let total = conn.select(|s| s.in_flight);
    let total = move || total.get().unwrap_or(0);
    // Counts are selected as `u64`, a memo type the page has anyway.
    let listed = conn.select(|s| s.packets.len() as u64);
    view! {
        <details class="traffic">
            <summary>"Messages per link"</summary>
            <p class="muted">
                {move || match (total(), listed.get().unwrap_or(0)) {
                    (0, _) => "Nothing on the wire: every message has landed.".to_owned(),
                    (t, l) if u64::from(t) > l => {
                        format!("Drawing the {l} soonest to land of {}.", count_of(t.into(), "message", "messages"))
                    }
                    (t, _) => format!("{}, each on its own lane.", count_of(t.into(), "message", "messages")),
                }}
                {format!(" Up to {MAX_PACKETS_IN_VIEW} are drawn; the counts per link are exact.")}
            </p>
            <ul class="link-list" aria-label="Messages in flight per link">
                {keyed_list(move || links.get().unwrap_or_default(), |l| (l.from, l.to, l.in_flight), |link| view! { <LinkRow link/> }.into_any())}
            </ul>
        </details>
    }
}

/// Cuts the link `pair` if it is whole, heals it if it is cut.
fn toggle_link(lab: Lab, pair: Pair) {
    if !lab.usable() {
        return;
    }
    if lab.cuts.with_untracked(|c| c.contains(&pair)) {
        lab.heal(pair.0, pair.1)
    } else {
        lab.cut(pair.0, pair.1)
    }
}

/// The whole length of a link, as a wide invisible line a pointer can hit:
/// a tap opens the link's menu, to cut or heal each direction (the handle
/// is the keyboard's way in, and carries the label).
#[component]
fn LinkHit(pair: Pair, lab: Lab, link_open: RwSignal<Option<Pair>>) -> impl IntoView {
    view! {
        <path
            class="link-hit"
            data-from=pair.0.id()
            data-to=pair.1.id()
            d=straight(position(pair.0), position(pair.1))
            on:click=move |_| {
                if lab.usable() {
                    link_open.update(|o| *o = if *o == Some(pair) { None } else { Some(pair) });
                }
            }
        ></path>
    }
}

/// A link's handle: tap (or Enter) cuts both directions, tap again heals;
/// Shift+Enter opens the link's menu (each direction on its own).
#[component]
fn MapLink(pair: Pair, lab: Lab, link_open: RwSignal<Option<Pair>>) -> impl IntoView {
    let (a, b) = pair;
    let m = midpoint(position(a), position(b));
    let cut = move || lab.cuts.with(|c| c.contains(&pair));
    let (ca, cb) = (a.info().city, b.info().city);
    let label = move || {
        let what = if cut() { "Heal" } else { "Cut" };
        format!("{what} the link {ca} ⇄ {cb} (Shift+Enter: one direction)")
    };
    let toggle = move || toggle_link(lab, pair);
    view! {
        <g
            class="map-link"
            role="button"
            tabindex="0"
            data-role="map-link"
            data-from=a.id()
            data-to=b.id()
            data-cut=move || cut().to_string()
            aria-label=move || label()
            aria-pressed=move || cut().to_string()
            on:click=move |_| toggle()
            on:keydown=move |ev| {
                if ev.key() == "Enter" && ev.shift_key() {
                    ev.prevent_default();
                    if lab.usable() {
                        link_open.set(Some(pair));
                    }
                } else if matches!(ev.key().as_str(), "Enter" | " ") {
                    ev.prevent_default();
                    toggle();
                }
            }
        >
            <title>{move || label()}</title>
            <circle class="link-handle" cx=fixed(m.x, 1) cy=fixed(m.y, 1) r="9"></circle>
            // A pair of blades when whole (tap to cut), a plus when cut (tap to heal).
            <path
                class="link-glyph"
                d=move || {
                    if cut() {
                        format!("M{} {}h8M{} {}v8", fixed(m.x - 4.0, 1), fixed(m.y, 1), fixed(m.x, 1), fixed(m.y - 4.0, 1))
                    } else {
                        format!("M{} {}l7 7M{} {}l-7 7", fixed(m.x - 3.5, 1), fixed(m.y - 3.5, 1), fixed(m.x + 3.5, 1), fixed(m.y - 3.5, 1))
                    }
                }
            ></path>
        </g>
    }
}

/// A region on the map: a node coloured by whether it is in sync, with its
/// city and current count; a tap opens its menu.
#[component]
fn MapNode(id: RegionId, conn: Conn, lab: Lab, open: RwSignal<Option<RegionId>>) -> impl IntoView {
    // A selection (the one memo type every selection is), like the
    // region menu's: a memo of this tuple was a memo type of its own.
    let replica =
        conn.select(move |s| s.replicas.iter().find(|x| x.region == id).map(|x| (x.value, x.behind, x.crashed)));
    let replica = move || replica.get().flatten();
    let state = move || match replica() {
        None => "unknown",
        Some((_, _, true)) => "down",
        Some((_, 0, _)) => "synced",
        Some((_, b, _)) if b > 0 => "behind",
        Some(_) => "over",
    };
    let count = move || match replica() {
        None => String::new(),
        // A crashed replica serves no reads: no count, like its card.
        Some((_, _, true)) => "down".to_owned(),
        Some((v, _, false)) => count_of(v, "like", "likes"),
    };
    let p = position(id);
    // Labels go below a node, except where the map edge is close.
    let below = p.y < MAP_H - 60.0;
    let (city_y, count_y) = if below { (p.y + 27.0, p.y + 44.0) } else { (p.y - 34.0, p.y - 17.0) };
    let city = id.info().city;
    let toggle = move || open.update(|o| *o = if *o == Some(id) { None } else { Some(id) });
    view! {
        <g class="node" class:label-above=!below data-state=move || state()>
            <g
                class="node-button"
                role="button"
                tabindex="0"
                data-role="map-region"
                data-region=id.id()
                aria-haspopup="dialog"
                aria-expanded=move || (open.get() == Some(id)).to_string()
                aria-label=move || format!("{city}: {}. Open its actions", count())
                on:click=move |_| toggle()
                on:keydown=move |ev| {
                    if matches!(ev.key().as_str(), "Enter" | " ") {
                        ev.prevent_default();
                        toggle();
                    }
                }
            >
                <circle class="node-hit" cx=fixed(p.x, 1) cy=fixed(p.y, 1) r="22"></circle>
                <circle class="node-ring" cx=fixed(p.x, 1) cy=fixed(p.y, 1) r="12"></circle>
                <circle class="node-core" cx=fixed(p.x, 1) cy=fixed(p.y, 1) r="6"></circle>
            </g>
            // Outside the button: its name (aria-label) says the same, and a
            // button's visible text must be part of its name.
            <g class="node-labels" aria-hidden="true">
                <text class="node-city" x=fixed(p.x, 1) y=fixed(city_y, 1)>{city}</text>
                <text class="node-count" x=fixed(p.x, 1) y=fixed(count_y, 1)>{move || count()}</text>
                // The saga service this city hosts (super likes are a lab
                // feature: not in the public room).
                {shared::sim::sagas::service_hosted_by(id).map(|name| {
                    // On the other side of the node from its city and count
                    // (below the map's last labels sits the legend).
                    let y = if below { p.y - 19.0 } else { p.y + 29.0 };
                    view! {
                        <When when=move || !lab.public.get()>
                            <text class="node-service" data-role="map-service" x=fixed(p.x, 1) y=fixed(y, 1)>
                                {name}" service"
                            </text>
                        </When>
                    }
                })}
            </g>
        </g>
    }
}

/// "Tokyo → Frankfurt 2", with a bar for scale.
#[component]
fn LinkRow(link: LinkView) -> impl IntoView {
    view! {
        <li class="link-row" data-role="link" data-from=link.from.id() data-to=link.to.id()>
            <span class="link-name">{link.from.info().city}<span class="arrow">" → "</span>{link.to.info().city}</span>
            <span class="link-count">{link.in_flight}</span>
        </li>
    }
}

/// What the dot colours mean: what a message does when it lands.
#[component]
fn Legend(lab: Lab, any_tuned: Signal<bool>) -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Legend">
            <li><span class="swatch swatch-like"></span>"carries a like"</li>
            <li><span class="swatch swatch-state"></span>"carries a count"</li>
            <li><span class="swatch swatch-quiet"></span>"no news (gossip, acks)"</li>
            <li><span class="swatch swatch-lost"></span>"will be lost"</li>
            // Super likes are a lab feature: the public room has no sagas.
            <When when=move || !lab.public.get()>
                <li><span class="swatch swatch-saga"></span>"saga step"</li>
            </When>
            <When when=move || !lab.cuts.with(|c| c.is_empty())>
                <li><span class="swatch swatch-cut"></span>"cut link"</li>
            </When>
            <When when=move || any_tuned.get()>
                <li><span class="swatch swatch-tuned"></span>"link set by hand"</li>
            </When>
        </ul>
    }
}
