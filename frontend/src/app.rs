//! The page: which room the address names, and the room's layout.
//!
//! The room is read once from `location.pathname`; moving to another room
//! is a real navigation (see the share bar), so there is no client-side
//! router to keep in step with the address bar.

use crate::banner::{BadLink, OutdatedBanner};
use crate::change_log::ChangeLog;
use crate::clock::{animation_clock, sim_clock};
use crate::connection::Connection;
use crate::controls::Controls;
use crate::explainer::Explainer;
use crate::header::Header;
use crate::history_panel::HistoryPanel;
use crate::lab::Lab;
use crate::me::Me;
use crate::network_view::{NetworkView, TrafficList};
use crate::partition_tool::PartitionTool;
use crate::people_bar::PeopleBar;
use crate::read_model::ReadModelBar;
use crate::region_card::RegionGrid;
use crate::route::room_from_path;
use crate::saga_panel::SagaPanel;
use crate::scenario_panel::ScenarioPanel;
use crate::scenario_strip::ScenarioStrip;
use crate::share_bar::ShareBar;
use crate::shortcuts::Shortcuts;
use crate::time_panel::TimePanel;
use crate::toast::Toaster;
use crate::verdict::VerdictPanel;
use crate::when::When;
use leptos::prelude::*;
use shared::protocol::RoomId;

#[component]
pub fn App() -> impl IntoView {
    let path = window().location().pathname().unwrap_or_default();
    match room_from_path(&path) {
        Ok(room) => view! { <Room room/> }.into_any(),
        Err(route) => view! { <BadLink route/> }.into_any(),
    }
}

/// The room's connection as every component holds it: one pointer. A
/// `Connection` is a dozen signal handles (96 bytes), and each closure
/// that called a method on it (`conn.select`, `conn.is_live()`, …) and
/// each component given it copied all of it, which compiled to code of its
/// own at each of them: 2.2 KB of
/// the gzipped wasm (docs/page-weight.md; [`Lab`] is one pointer for the
/// same reason). It is made once per page (a room is one page load: moving
/// to another room navigates) and lives until the page unloads.
pub type Conn = &'static Connection;

#[component]
fn Room(room: RoomId) -> impl IntoView {
    let conn: Conn = Box::leak(Box::new(Connection::open(&room)));
    let sim_now = sim_clock(conn, animation_clock());
    let lab = Lab::new(conn);
    let me = Me::load();
    view! {
        <OutdatedBanner status=conn.status/>
        <div class="page">
            <Header conn sim_now/>
            <ShareBar conn/>
            <ScenarioStrip conn/>
            <PeopleBar conn lab me/>
            <ReadModelBar conn lab/>
            <main class="room">
                // The first screen: the world with its six replicas, the
                // messages between them, and a card (count, Like) under
                // each city. Everything that changes the room comes after.
                <div class="first-screen">
                    <NetworkView conn lab/>
                    // A guided scenario's caption and steps, beside the map.
                    <ScenarioPanel conn lab/>
                    <RegionGrid conn lab me/>
                    <TrafficList conn/>
                </div>
                // The room's clock and the scrubber, right under what they
                // freeze and rewind.
                <TimePanel conn lab/>
                <ChangeLog conn/>
                <When when=move || !lab.locked.get()>
                    <PartitionTool lab/>
                </When>
                // The bench and its result side by side.
                <div class="lab">
                    <Controls conn lab/>
                    <VerdictPanel conn/>
                </div>
                // Super likes are a lab feature (the public room refuses
                // them); like likes, they are open to everyone in a room
                // someone presents.
                <When when=move || !lab.public.get()>
                    <SagaPanel conn me/>
                </When>
                <HistoryPanel conn/>
                <Explainer conn/>
            </main>
            <footer class="page-foot">
                <p>
                    "Likewise simulates six replicas on one server; the delays are real distances, slowed "
                    "down so you can watch them. Open this page in two windows and like in both. Press ? for keyboard shortcuts."
                </p>
            </footer>
        </div>
        <Shortcuts conn/>
        <Toaster notice=conn.notice/>
    }
}
