//! The "who liked" read model (CQRS, see `shared::sim::read_model`): the
//! people it lists, how far it trails the replicas, and the knob for how
//! often its projector runs. Shown only in a room of people's likes; the
//! replicas' own counts stay on the region cards, so the two read side by
//! side.

use crate::connection::Connection;
use crate::lab::Lab;
use crate::people_bar::Avatar;
use leptos::prelude::*;
use shared::protocol::ClientMessage;

/// The knob's settings, in simulated ms (0: on every event).
const INTERVALS: [(u64, &str); 5] =
    [(0, "on every event"), (500, "every 0.5 s"), (2_000, "every 2 s"), (5_000, "every 5 s"), (15_000, "every 15 s")];

/// "3 events · 1.2 s behind", or "up to date".
fn lag_text(events: u64, ms: u64) -> String {
    if events == 0 {
        return "up to date with the replicas".into();
    }
    let noun = if events == 1 { "event" } else { "events" };
    format!("{events} {noun} · {:.1} s behind the replicas", ms as f64 / 1000.0)
}

#[component]
pub fn ReadModelBar(conn: Connection, lab: Lab) -> impl IntoView {
    let model = conn.select(|s| s.read_model.clone());
    let view_of = move || model.get().flatten();
    view! {
        <Show when=move || view_of().is_some()>
            <section
                class="read-model"
                data-role="read-model"
                aria-label="Read model"
                data-count=move || view_of().map_or(0, |m| m.count)
                data-behind=move || view_of().map_or(0, |m| m.behind_events)
                data-stale=move || view_of().is_some_and(|m| m.stale).to_string()
                title="A projection built from the replicas' change feed by a separate job: it answers 'who liked' without asking a replica, and trails them by up to one rebuild"
            >
                <span class="rm-title">"Read model"</span>
                <span class="rm-count" data-role="read-model-count">
                    {move || view_of().map_or(0, |m| m.count)}
                    " liked"
                </span>
                <span class="rm-people">
                    {move || view_of().map(|m| m.members.into_iter().take(12).map(|p| view! { <Avatar person=p/> }).collect_view())}
                </span>
                <span class="rm-lag" data-role="read-model-lag" class:behind=move || view_of().is_some_and(|m| m.behind_events > 0)>
                    {move || view_of().map(|m| lag_text(m.behind_events, m.behind_ms)).unwrap_or_default()}
                </span>
                <Show when=move || view_of().is_some_and(|m| m.stale || m.rebuilds > 0)>
                    <span class="rm-rebuilt" data-role="read-model-rebuilds">
                        {move || view_of().map(|m| if m.stale {
                            "shows a like the replicas lost: the next run rebuilds it".to_owned()
                        } else {
                            format!("rebuilt from the feed {}×", m.rebuilds)
                        })}
                    </span>
                </Show>
                <label class="rm-knob">
                    "rebuilt "
                    <select
                        data-role="read-model-interval"
                        disabled=move || !lab.usable()
                        on:change=move |ev| {
                            if let Ok(interval_ms) = event_target_value(&ev).parse::<u64>() {
                                lab.send(ClientMessage::SetReadModel { interval_ms });
                            }
                        }
                    >
                        {INTERVALS.into_iter().map(|(ms, text)| view! {
                            <option value=ms.to_string() selected=move || view_of().is_some_and(|m| m.interval_ms == ms)>{text}</option>
                        }).collect_view()}
                    </select>
                </label>
            </section>
        </Show>
    }
}
