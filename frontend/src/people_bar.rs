//! People in the room: who you are (avatar and generated name), your home
//! region, how many people call each region home, what a like is in this
//! room (claps or one like per person), and — in a room of people's likes —
//! whether the regions agree on your own like.
//!
//! Saying `hello` is this component's job: on every (re)connect and on every
//! change of home, so the server's per-region counts follow the page.

use crate::app::Conn;
use crate::connection::Status;
use crate::lab::Lab;
use crate::me::Me;
use crate::when::When;
use leptos::prelude::*;
use shared::people::{hue, name};
use shared::protocol::ClientMessage;
use shared::region::RegionId;
use shared::sim::DataType;

/// The wire name of a data type (as in `set_data_type`).
pub fn type_id(t: DataType) -> &'static str {
    match t {
        DataType::Claps => "claps",
        DataType::LikesAddWins => "likes_add_wins",
        DataType::LikesRemoveWins => "likes_remove_wins",
    }
}

/// A small round avatar: the person's initials on their hue.
#[component]
pub fn Avatar(person: shared::crdt::PersonId) -> impl IntoView {
    let n = name(person);
    let initials: String = n.split(' ').filter_map(|w| w.chars().next()).collect();
    view! {
        <span class="avatar" style=format!("--hue:{}", hue(person)) title=n aria-hidden="true">{initials}</span>
    }
}

#[component]
pub fn PeopleBar(conn: Conn, lab: Lab, me: Me) -> impl IntoView {
    // Hello on every (re)connect and every change of home.
    Effect::new(move |_| {
        let home = me.home.get();
        if conn.status.get() == Status::Live {
            conn.send(ClientMessage::Hello { person: me.key.get_value(), home: home.id().to_owned() });
        }
    });
    let data_type = conn.select(|s| s.data_type);
    let is_set = move || data_type.get().is_some_and(DataType::is_set);
    // A selection (`None` before the first frame), not a memo of its own type.
    let people = conn.select_frame(|f| f.people.clone());
    // The room's regions as ids, their names from the catalog (`id.info()`,
    // what the server sends): no copy of the room's `RegionInfo`s.
    let regions = move || {
        conn.room.with(|r| r.as_ref().map(|r| r.regions.iter().map(|r| r.id).collect::<Vec<_>>()).unwrap_or_default())
    };
    // Your like as each live region sees it, and where it differs from home.
    let mine = conn.select(move |s| {
        s.replicas
            .iter()
            .filter(|r| !r.crashed)
            .map(|r| (r.region, r.members.as_ref().is_some_and(|m| m.contains(&me.id))))
            .collect::<Vec<_>>()
    });
    let disagree = move || {
        let home = me.home.get();
        let seen = mine.get().unwrap_or_default();
        let at_home = seen.iter().find(|(r, _)| *r == home).map(|x| x.1)?;
        let others: Vec<&str> = seen.iter().filter(|(_, l)| *l != at_home).map(|(r, _)| r.info().city).collect();
        (!others.is_empty()).then(|| {
            let state = if at_home { "not liked" } else { "liked" };
            format!("{} {} you as {state}", others.join(", "), if others.len() == 1 { "sees" } else { "see" })
        })
    };
    view! {
        <section class="people-bar" aria-label="People">
            <span class="me" data-role="me">
                <Avatar person=me.id/>
                <span class="me-name">{name(me.id)}</span>
            </span>
            <label class="home">
                "home "
                <select
                    data-role="home"
                    on:change=move |ev| {
                        if let Ok(r) = RegionId::parse(&event_target_value(&ev)) {
                            me.set_home(r);
                        }
                    }
                >
                    {move || regions().into_iter().map(|id| {
                        view! { <option value=id.id() selected=move || me.home.get() == id>{id.info().city}</option> }
                    }).map(IntoAny::into_any).collect::<Vec<_>>()}
                </select>
            </label>
            <span class="people-counts" data-role="people" title="People in this room by home region">
                {move || {
                    let counts = people.get().unwrap_or_default();
                    RegionId::all()
                        .filter_map(|r| counts.get(r.index()).copied().filter(|&n| n > 0).map(|n| (r, n)))
                        .map(|(r, n)| view! { <span class="people-count" data-region=r.id()>{format!("{} {n}", r.info().city)}</span> })
                        .map(IntoAny::into_any).collect::<Vec<_>>()
                }}
            </span>
            <label class="like-type">
                "a like is "
                <select
                    data-role="like-type"
                    data-type=move || data_type.get().map_or("claps", type_id)
                    disabled=move || !lab.usable()
                    title="Changing it starts the likes over"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(t) = DataType::ALL.into_iter().find(|&t| type_id(t) == v) {
                            lab.send(ClientMessage::SetDataType { data_type: t });
                        }
                    }
                >
                    {DataType::ALL.into_iter().map(|t| view! {
                        <option value=type_id(t) selected=move || data_type.get() == Some(t)>{t.name()}</option>
                    }).map(IntoAny::into_any).collect::<Vec<_>>()}
                </select>
            </label>
            <When when=move || is_set() && disagree().is_some()>
                <span class="disagree" data-role="disagree">{move || disagree().unwrap_or_default()}</span>
            </When>
        </section>
    }
}
