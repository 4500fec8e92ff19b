//! One card per region: the count a reader *there* sees, a like button that
//! writes *there*, and how far that count trails the ground truth.
//!
//! The card's look follows its state so the lag reads without reading:
//! green accent when in sync, amber when behind, and a short flash whenever
//! its count changes, so the moment a like lands in each region is visible.
//! A crashed card reads "Down" and nothing else: no count and no lag, since
//! a region that is down serves no reads ("Down" beside "in sync" would
//! contradict itself).
//!
//! In a private room each card also carries its region's two faults,
//! Isolate/Rejoin and Crash/Restart, right beside the count they affect
//! (see [`crate::lab`]). A region that cannot take a like says why on the
//! button itself ("Down", "Unavailable") instead of offering a dead click.

use crate::app::Conn;
use crate::format::{behind_text, count_of, in_flight_text};
use crate::geo::west_to_east;
use crate::keyed_list::keyed_list;
use crate::lab::{isolated, Lab};
use crate::loss_note::LossNote;
use crate::me::Me;
use crate::people_bar::Avatar;
use crate::selection::Selection;
use crate::sort::sort_by_key;
use crate::when::When;
use leptos::prelude::*;
use shared::people::name;
use shared::protocol::view::ReplicaView;
use shared::region::RegionId;

/// The row of region cards under the map, west to east, so each card sits
/// roughly under its city.
#[component]
pub fn RegionGrid(conn: Conn, lab: Lab, me: Me) -> impl IntoView {
    // Before the first snapshot the catalog compiled into `shared` stands in,
    // so the page has its final layout while it connects.
    // The room's regions as ids: a card reads its names from the catalog
    // compiled into `shared` (`id.info()`), which is what the server sends
    // (`RegionInfo::catalog`). A row of the list is then one byte, where a
    // `RegionInfo` (three strings, two floats) was cloned with the list,
    // moved into each card and its strings into the card's closures.
    let regions = move || {
        let mut regions: Vec<RegionId> = conn.room.with(|r| {
            r.as_ref().map_or_else(|| RegionId::all().collect(), |r| r.regions.iter().map(|r| r.id).collect())
        });
        let order = west_to_east();
        // A region missing from `order` (none is) would go first, as `None` did.
        sort_by_key(&mut regions, |r| order.iter().position(|id| id == r).map_or(0, |p| p as u64 + 1));
        regions
    };
    view! {
        <section class="regions" aria-label="Regions">
            {keyed_list(regions, |id| *id, move |id| view! { <RegionCard id conn lab me/> }.into_any())}
        </section>
    }
}

#[component]
fn RegionCard(id: RegionId, conn: Conn, lab: Lab, me: Me) -> impl IntoView {
    let region = id.info();
    // The region's replica as a selection (the one memo type every
    // selection is): `None` before the first frame, `Some(None)` if the
    // frame does not list it; [`seen`] reads both as not seen.
    let replica = conn.select(move |s| s.replicas.iter().find(|x| x.region == id).cloned());
    // Likes clicked in this region: its own slot of the grow-only counter.
    let local = conn.select(move |s| s.truth.per_region.get(id.index()).copied().unwrap_or(0));
    // The count as a selection of the frame (as the local likes just
    // below), not a memo of its own type.
    let value = conn.select(move |s| s.replicas.iter().find(|x| x.region == id).map(|x| x.value));
    let value = move || value.get().flatten();
    let behind = move || replica.with(|r| seen(r).map(|r| r.behind));

    // Restarting a CSS animation needs a change of `animation-name`, so the
    // flash alternates between two identical keyframe sets on every change.
    let bumps = RwSignal::new(0u32);
    Effect::new(move |previous: Option<Option<u64>>| {
        let now = value();
        if let (Some(Some(before)), Some(now)) = (previous, now) {
            if before != now {
                bumps.update(|b| *b += 1);
            }
        }
        now
    });
    let count_class = move || match bumps.get() {
        0 => "count",
        n if n % 2 == 1 => "count flash-a",
        _ => "count flash-b",
    };

    // Down or unable to take likes trumps lag: it is what the reader there
    // would notice first.
    let down = move || replica.with(|r| seen(r).is_some_and(|r| r.crashed));
    let available = move || replica.with(|r| seen(r).is_some_and(|r| r.available));
    // Up but refusing likes (a single writer's follower that suspects its
    // leader: it took likes until its timeout, and refuses from then on).
    let read_only = move || replica.with(|r| seen(r).is_some_and(|r| !r.crashed && !r.available));
    let state = move || match behind() {
        _ if down() => "down",
        None => "unknown",
        Some(0) => "synced",
        Some(b) if b > 0 => "behind",
        Some(_) => "over",
    };
    let can_like = move || conn.is_live() && available();
    // A room of people's likes: who likes the post as this region sees it,
    // whether that includes you, and — for the button — whether your home
    // region counts you (the button likes or unlikes accordingly).
    // A selection of the frame, not a memo of its own type.
    let members = conn.select(move |s| s.replicas.iter().find(|x| x.region == id).and_then(|x| x.members.clone()));
    let is_set = move || members.with(|m| m.as_ref().is_some_and(Option::is_some));
    let liked_here = move || members.with(|m| m.as_ref().and_then(Option::as_ref).is_some_and(|m| m.contains(&me.id)));
    let liked_at_home = conn.select(move |s| {
        let home = me.home.get();
        s.replicas.iter().any(|r| r.region == home && r.members.as_ref().is_some_and(|m| m.contains(&me.id)))
    });
    let unlike = move || is_set() && liked_at_home.get().unwrap_or(false);
    let city = region.city;
    // Super likes this region shows (the Likes service's pushes that
    // reached it): rises when one is recorded, falls when one is taken back.
    let supers =
        conn.select(move |s| s.sagas.as_ref().map_or(0, |v| v.super_likes.get(id.index()).copied().unwrap_or(0)));

    view! {
        <article class="card" data-region=id.id() data-state=move || state()>
            <header class="card-head">
                <div>
                    <h3 class="city">{region.city}</h3>
                    <p class="area">{region.area}</p>
                </div>
                <span class="badges">
                    <When when=down>
                        <span class="down-badge" data-role="down">"down"</span>
                    </When>
                    <When when=read_only>
                        <span class="down-badge" data-role="unavailable">"read-only"</span>
                    </When>
                    <When when=move || !down() && lab.cuts.with(|c| isolated(c, id))>
                        <span class="down-badge cut-badge" data-role="isolated">"cut off"</span>
                    </When>
                    <span class="country" title=format!("Country: {}", region.country)>{region.country}</span>
                </span>
            </header>
            <div class="card-body">
                <p class="count-line">
                    // No aria-live here: six counts changing many times a second would
                    // drown a screen reader; the status pill speaks for them.
                    // A crashed region serves no reads: no count, no lag, only
                    // "Down" (on the badge and the button).
                    <span class=move || count_class() data-role="count">
                        {move || match value() {
                            Some(v) if !down() => v.to_string(),
                            _ => "—".to_owned(),
                        }}
                    </span>
                    <span class="count-unit">
                        {move || match value() {
                            _ if down() => "",
                            Some(1) => "like",
                            _ => "likes",
                        }}
                    </span>
                </p>
                <button
                    class="like-button"
                    data-role="like"
                    disabled=move || !can_like()
                    title=move || (conn.is_live() && !available()).then_some("This region cannot take likes right now")
                    aria-label=move || format!("{} from {city}", if unlike() { "Unlike" } else { "Like" })
                    data-action=move || if unlike() { "unlike" } else { "like" }
                    on:click=move |_| {
                        if is_set() {
                            conn.act(id, me.key.get_value(), !unlike());
                        } else {
                            conn.like(id);
                        }
                    }
                >
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                        <path d="M12 20.5s-8-4.9-8-10.6A4.4 4.4 0 0 1 12 7.5a4.4 4.4 0 0 1 8 2.4c0 5.7-8 10.6-8 10.6z"></path>
                    </svg>
                    <span data-role="like-label">
                        {move || match () {
                            _ if down() => "Down",
                            _ if read_only() => "Unavailable",
                            _ if unlike() => "Unlike",
                            _ => "Like",
                        }}
                    </span>
                </button>
                <When when=move || !lab.public.get() && !down()>
                    <SuperLike id conn me supers/>
                </When>
                <When when=move || is_set() && !down()>
                    <span class="liked" data-role="liked" data-liked=move || liked_here().to_string()>
                        {move || if liked_here() { "you: liked here" } else { "you: not liked here" }}
                    </span>
                </When>
            </div>
            <When when=move || is_set() && !down()>
                // A set never forgets an operation: its size and its unlikes
                // (tombstones) only grow.
                <p class="set-size" data-role="set-size" title="Operations this replica's set holds; unlikes are kept as tombstones">
                    {move || replica.with(|r| {
                        let (ops, dead) = seen(r).map_or((0, 0), |r| (r.ops.unwrap_or(0), r.tombstones.unwrap_or(0)));
                        format!("set: {} · {} kept", count_of(ops, "operation", "operations"), count_of(dead, "tombstone", "tombstones"))
                    })}
                </p>
                <details class="likers" data-role="likers">
                    <summary>"who liked"</summary>
                    <ul>
                        {move || members.get().flatten().unwrap_or_default().into_iter().map(|p| view! {
                            <li data-role="liker"><Avatar person=p/>{name(p)}</li>
                        }).map(IntoAny::into_any).collect::<Vec<_>>()}
                    </ul>
                </details>
            </When>
            <footer class="card-foot">
                <span class="behind" data-role="behind">
                    {move || match behind() {
                        _ if down() => String::new(),
                        None => "waiting…".to_owned(),
                        Some(b) => behind_text(b),
                    }}
                </span>
                // Nothing to say about traffic before the first frame.
                <When when=move || replica.with(|r| seen(r).is_some())>
                    <span class="card-meta">
                        <span data-role="outgoing">
                            {move || in_flight_text(replica.with(|r| seen(r).map_or(0, |r| r.in_flight_out)))}
                        </span>
                        <span class="sep" aria-hidden="true">"·"</span>
                        <span class="local" data-role="local">
                            {move || {
                                let n = local.get().unwrap_or(0);
                                if is_set() {
                                    format!("{} here", count_of(n, "like or unlike", "likes and unlikes"))
                                } else {
                                    format!("{} here", count_of(n, "like", "likes"))
                                }
                            }}
                        </span>
                    </span>
                </When>
            </footer>
            <LossNote conn id/>
            <When when=move || !lab.locked.get()>
                <CardTools id down lab/>
            </When>
        </article>
    }
}

/// The replica a card's selection holds, if the frame listed it.
fn seen(r: &Option<Option<ReplicaView>>) -> Option<&ReplicaView> {
    r.as_ref().and_then(Option::as_ref)
}

/// A super like from here (a saga whose orchestrator runs in this region),
/// and the super likes this region shows.
#[component]
fn SuperLike(id: RegionId, conn: Conn, me: Me, supers: Selection<u64>) -> impl IntoView {
    // The saga service this region hosts, if any.
    let service = shared::sim::sagas::service_hosted_by(id).map(|name| {
            view! { <span class="service-tag" data-role="service" title="A super like's saga calls this service here">{name}</span> }
        });
    view! {
        <span class="super-row">
            {service}
            <button
                class="tool super-like"
                data-role="super-like"
                aria-label=format!("Super like from {}", id.info().city)
                disabled=move || !conn.is_live()
                title="Costs you 1 coin and pays the author: a saga across three regions"
                on:click=move |_| conn.send(shared::protocol::ClientMessage::SuperLike {
                    region: id.id().into(),
                    person: me.key.get_value(),
                })
            >
                "★ Super"
            </button>
            <span class="super-count" data-role="super-count" title="Super likes this region shows">
                {move || supers.get().unwrap_or(0)}
            </span>
        </span>
    }
}

/// The region's own faults, compact: cut it off from everyone / bring it
/// back, and crash it / restart it.
#[component]
fn CardTools(id: RegionId, down: impl Fn() -> bool + Copy + Send + Sync + 'static, lab: Lab) -> impl IntoView {
    let cut_off = move || lab.cuts.with(|c| isolated(c, id));
    view! {
        <div class="card-tools">
            <button
                class="tool"
                data-role="isolate"
                data-active=move || cut_off().to_string()
                aria-pressed=move || cut_off().to_string()
                disabled=move || !lab.usable()
                title=move || if cut_off() { "Heal this region's links to every other region" } else { "Cut this region off from every other region" }
                on:click=move |_| if cut_off() { lab.rejoin(id) } else { lab.isolate(id) }
            >
                {move || if cut_off() { "Rejoin" } else { "Isolate" }}
            </button>
            <button
                class="tool tool-danger"
                data-role="crash"
                data-active=move || down().to_string()
                aria-pressed=move || down().to_string()
                disabled=move || !lab.usable()
                on:click=move |_| if down() { lab.restart(id) } else { lab.crash(id) }
            >
                {move || if down() { "Restart" } else { "Crash" }}
            </button>
        </div>
    }
}
