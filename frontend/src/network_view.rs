//! Messages in flight: a schematic map with one dot per message on the
//! wire, gliding from the region that sent it to the one it is for.
//!
//! Honesty rules: only what the latest frame lists is drawn; a dot's
//! position is its send/arrive times against the estimated simulated clock
//! (see [`crate::clock`]), clamped so it never claims an arrival before the
//! server reports one. The server caps listed packets at
//! [`MAX_PACKETS_IN_VIEW`], so beside the map the exact per-link counts are
//! shown too.
//!
//! Cut links (the room's partitions, see [`crate::lab`]) are drawn as
//! dashed red lanes, so a partition shows where the messages would fly.

use crate::connection::Connection;
use crate::format::{count_of, in_flight_text};
use crate::geo::{graticule, progress, project, Lane, Point, MAP_H, MAP_W};
use crate::lab::Lab;
use crate::link_editor::{arrow, group, summary};
use leptos::prelude::*;
use shared::kernel::MessageKind;
use shared::protocol::view::{LinkView, MAX_PACKETS_IN_VIEW};
use shared::region::RegionId;

/// Where a region's node sits on the map.
fn position(id: RegionId) -> Point {
    let r = id.info();
    project(r.lat, r.lon)
}

/// Identity of a message for keyed rendering: link, times, whether it is a
/// like event, and an ordinal, because two copies of one message (the
/// network can duplicate) share every other field.
type FlightKey = (RegionId, RegionId, u64, u64, bool, usize);

/// One message, ready to draw.
#[derive(Debug, Clone, PartialEq)]
struct Flight {
    key: FlightKey,
    lane: Lane,
    sent_at: u64,
    arrive_at: u64,
    kind: MessageKind,
    lost: bool,
    /// Background work (gossip, sync rounds, heartbeats), not a like's own
    /// traffic: drawn smaller, so a like's messages stand out.
    background: bool,
    /// The strategy's name for the message ("like", "ack", "delta", …).
    label: String,
}

#[component]
pub fn NetworkView(conn: Connection, sim_now: Signal<f64>, lab: Lab) -> impl IntoView {
    let flights = Memo::new(move |_| {
        conn.frame.with(|r| {
            let Some(r) = r else { return Vec::new() };
            let mut flights: Vec<Flight> = Vec::with_capacity(r.frame.sim.packets.len());
            for p in &r.frame.sim.packets {
                let is_like = p.kind == MessageKind::Like;
                let base = (p.from, p.to, p.sent_at, p.arrive_at, is_like);
                let copies = flights.iter().filter(|f| (f.key.0, f.key.1, f.key.2, f.key.3, f.key.4) == base).count();
                flights.push(Flight {
                    key: (p.from, p.to, p.sent_at, p.arrive_at, is_like, copies),
                    lane: Lane::between(position(p.from), position(p.to)),
                    sent_at: p.sent_at,
                    arrive_at: p.arrive_at,
                    kind: p.kind,
                    lost: p.lost,
                    background: p.background,
                    label: p.label.clone(),
                });
            }
            flights
        })
    });
    let links = Memo::new(move |_| {
        conn.frame.with(|r| {
            let mut links = r.as_ref().map_or_else(Vec::new, |r| r.frame.sim.links.clone());
            links.sort_by(|a, b| b.in_flight.cmp(&a.in_flight).then(a.from.cmp(&b.from)).then(a.to.cmp(&b.to)));
            links
        })
    });
    let total = move || conn.frame.with(|r| r.as_ref().map_or(0, |r| r.frame.sim.in_flight));
    let listed = move || flights.with(Vec::len);
    let cuts = move || lab.cuts.get().into_iter().collect::<Vec<_>>();
    // Links someone gave conditions of their own (the lab's "One link").
    let tuned = Memo::new(move |_| {
        conn.frame.with(|r| r.as_ref().map(|r| group(&r.frame.sim.faults.custom)).unwrap_or_default())
    });
    let any_tuned = Signal::derive(move || tuned.with(|t| !t.is_empty()));
    let busiest = move || links.with(|l| l.first().map_or(1, |l| l.in_flight.max(1)));

    view! {
        <section class="panel network" aria-labelledby="network-title">
            <div class="panel-head">
                <h2 id="network-title">"Messages in flight"</h2>
                <span class="count-chip" data-role="in-flight">{total}</span>
                <Legend lab any_tuned/>
            </div>
            <svg
                class="map"
                viewBox=format!("0 0 {MAP_W} {MAP_H}")
                role="img"
                aria-label=move || format!("Map of regions with {}", in_flight_text(total()))
            >
                <g class="graticule">
                    {graticule()
                        .into_iter()
                        .map(|(x1, y1, x2, y2, equator)| {
                            view! {
                                <line
                                    class:equator=equator
                                    x1=format!("{x1:.1}")
                                    y1=format!("{y1:.1}")
                                    x2=format!("{x2:.1}")
                                    y2=format!("{y2:.1}")
                                ></line>
                            }
                        })
                        .collect_view()}
                </g>
                <g class="lanes">
                    // Keyed by count too: `For` does not re-render a kept row,
                    // and the stroke width depends on the count.
                    <For each=move || links.get() key=|l| (l.from, l.to, l.in_flight) let(link)>
                        <path
                            class="lane"
                            d=Lane::between(position(link.from), position(link.to)).path()
                            stroke-width=move || {
                                format!("{:.1}", 1.0 + 2.0 * f64::from(link.in_flight) / f64::from(busiest()))
                            }
                        ></path>
                    </For>
                </g>
                <g class="tuned">
                    <For each=move || tuned.get() key=|c| (c.from, c.to, c.both_ways, summary(&c.conditions)) let(c)>
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
                    </For>
                </g>
                <g class="cuts">
                    <For each=cuts key=|p| *p let(pair)>
                        <path class="cut-lane" data-role="cut-lane" d=Lane::between(position(pair.0), position(pair.1)).path()>
                            <title>{format!("{} ✂ {}: cut", pair.0.info().city, pair.1.info().city)}</title>
                        </path>
                    </For>
                </g>
                <g class="flights">
                    <For each=move || flights.get() key=|f| f.key let(flight)>
                        <FlightDot flight sim_now/>
                    </For>
                </g>
                <g class="nodes">{RegionId::all().map(|id| view! { <MapNode id conn/> }).collect_view()}</g>
            </svg>
            <div class="network-foot">
                <p class="muted">
                    {move || match (total(), listed()) {
                        (0, _) => "Nothing on the wire: every message has landed.".to_owned(),
                        (t, l) if (t as usize) > l => {
                            format!("Showing the {l} soonest to land of {}.", count_of(t.into(), "message", "messages"))
                        }
                        (t, _) => format!("{}, each on its own lane.", count_of(t.into(), "message", "messages")),
                    }}
                    {format!(" Up to {MAX_PACKETS_IN_VIEW} are drawn; the counts per link are exact.")}
                </p>
                <ul class="link-list" aria-label="Messages in flight per link">
                    <For each=move || links.get() key=|l| (l.from, l.to, l.in_flight) let(link)>
                        <LinkRow link/>
                    </For>
                </ul>
            </div>
        </section>
    }
}

/// One message on its lane.
#[component]
fn FlightDot(flight: Flight, sim_now: Signal<f64>) -> impl IntoView {
    let Flight { key, lane, sent_at, arrive_at, kind, lost, background, label } = flight;
    let title = format!(
        "{} {} → {}{}",
        if label.is_empty() { "message" } else { &label },
        key.0.info().city,
        key.1.info().city,
        if lost { " (will be lost)" } else { "" }
    );
    let t = move || progress(sim_now.get(), sent_at, arrive_at);
    let transform = move || {
        let p = lane.at(t());
        format!("translate({:.1} {:.1})", p.x, p.y)
    };
    // A lost message fades out along the way: it will never arrive.
    let opacity = move || if lost { format!("{:.2}", 1.0 - 0.85 * t()) } else { "1".to_owned() };
    let class = match (kind, lost) {
        (_, true) => "flight lost",
        (MessageKind::Like, false) => "flight like",
        (MessageKind::State, false) => "flight state",
    };
    view! {
        <g class=class class:background=background transform=transform opacity=opacity>
            <title>{title}</title>
            <circle class="flight-halo" r="9"></circle>
            <circle class="flight-core" r="4.5"></circle>
        </g>
    }
}

/// A region on the map: a node coloured by whether it is in sync, with its
/// city and current count.
#[component]
fn MapNode(id: RegionId, conn: Connection) -> impl IntoView {
    let replica = Memo::new(move |_| {
        conn.frame.with(|r| {
            r.as_ref().and_then(|r| {
                r.frame.sim.replicas.iter().find(|x| x.region == id).map(|x| (x.value, x.behind, x.crashed))
            })
        })
    });
    let state = move || match replica.get() {
        None => "unknown",
        Some((_, _, true)) => "down",
        Some((_, 0, _)) => "synced",
        Some((_, b, _)) if b > 0 => "behind",
        Some(_) => "over",
    };
    let p = position(id);
    // Labels go below a node, except where the map edge is close.
    let below = p.y < MAP_H - 50.0;
    let (city_y, count_y) = if below { (p.y + 24.0, p.y + 39.0) } else { (p.y - 28.0, p.y - 14.0) };
    view! {
        <g class="node" class:label-above=!below data-state=state data-node=id.id()>
            <circle class="node-ring" cx=format!("{:.1}", p.x) cy=format!("{:.1}", p.y) r="12"></circle>
            <circle class="node-core" cx=format!("{:.1}", p.x) cy=format!("{:.1}", p.y) r="6"></circle>
            <text class="node-city" x=format!("{:.1}", p.x) y=format!("{city_y:.1}")>{id.info().city}</text>
            <text class="node-count" x=format!("{:.1}", p.x) y=format!("{count_y:.1}")>
                {move || match replica.get() {
                    None => String::new(),
                    // A crashed replica serves no reads: no count, like its card.
                    Some((_, _, true)) => "down".to_owned(),
                    Some((v, _, false)) => count_of(v, "like", "likes"),
                }}
            </text>
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

/// What the dot colours mean.
#[component]
fn Legend(lab: Lab, any_tuned: Signal<bool>) -> impl IntoView {
    view! {
        <ul class="legend">
            <li><span class="swatch swatch-like"></span>"like event"</li>
            <li><span class="swatch swatch-state"></span>"counter state"</li>
            <li><span class="swatch swatch-lost"></span>"will be lost"</li>
            <Show when=move || !lab.cuts.with(|c| c.is_empty())>
                <li><span class="swatch swatch-cut"></span>"cut link"</li>
            </Show>
            <Show when=move || any_tuned.get()>
                <li><span class="swatch swatch-tuned"></span>"link set by hand"</li>
            </Show>
        </ul>
    }
}
