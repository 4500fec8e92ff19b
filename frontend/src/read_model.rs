//! The "who liked" read model (CQRS, see `shared::sim::read_model`): the
//! people it lists, how far it trails the replicas, and the knob for how
//! often its projector runs. Shown only in a room of people's likes; the
//! replicas' own counts stay on the region cards, so the two read side by
//! side.
//!
//! Kept deliberately small (the page has a weight budget): one memo turns
//! the frame's read model into the few strings the bar shows.

use crate::app::Conn;
use crate::format::fixed;
use crate::lab::Lab;
use crate::when::When;
use leptos::prelude::*;
use shared::people::name;
use shared::protocol::ClientMessage;
use shared::sim::ReadModelView;

/// What the bar shows, worked out once per frame.
#[derive(Clone, PartialEq)]
struct Shown {
    count: u64,
    behind: u64,
    stale: bool,
    interval: u64,
    who: String,
    lag: String,
}

fn shown(m: &ReadModelView) -> Shown {
    let mut who: Vec<String> = m.members.iter().take(4).map(|&p| name(p)).collect();
    if m.members.len() > 4 {
        who.push(format!("+{}", m.members.len() - 4));
    }
    let mut lag = match m.behind_events {
        0 => "up to date with the replicas".to_owned(),
        1 => format!("1 event · {} s behind the replicas", fixed(m.behind_ms as f64 / 1000.0, 1)),
        n => format!("{n} events · {} s behind the replicas", fixed(m.behind_ms as f64 / 1000.0, 1)),
    };
    if m.stale {
        lag.push_str(" · shows a like the replicas lost: its next run rebuilds it from the feed");
    } else if m.rebuilds > 0 {
        lag.push_str(&format!(" · rebuilt from the feed {}×", m.rebuilds));
    }
    Shown { count: m.count, behind: m.behind_events, stale: m.stale, interval: m.interval_ms, who: who.join(", "), lag }
}

#[component]
pub fn ReadModelBar(conn: Conn, lab: Lab) -> impl IntoView {
    let model = conn.select(|s| s.read_model.as_ref().map(shown));
    let get = move || model.get().flatten();
    let field = move |f: fn(&Shown) -> String| move || get().map(|s| f(&s)).unwrap_or_default();
    view! {
        <When when=move || get().is_some()>
            <section
                class="read-model"
                data-role="read-model"
                data-count=field(|s| s.count.to_string())
                data-behind=field(|s| s.behind.to_string())
                data-stale=field(|s| s.stale.to_string())
                title="A projection built from the replicas' change feed by a separate job: it answers who liked without asking a replica, and trails them by up to one rebuild"
            >
                <b>"Read model"</b>
                <span data-role="read-model-count">{field(|s| format!("{} liked", s.count))}</span>
                <span class="rm-who">{field(|s| s.who.clone())}</span>
                <span class="rm-lag" data-role="read-model-lag" data-behind=field(|s| (s.behind > 0 || s.stale).to_string())>
                    {field(|s| s.lag.clone())}
                </span>
                <label>
                    "rebuilt "
                    <select
                        data-role="read-model-interval"
                        prop:value=field(|s| s.interval.to_string())
                        disabled=move || !lab.usable()
                        on:change=move |ev| {
                            if let Ok(interval_ms) = event_target_value(&ev).parse() {
                                lab.send(ClientMessage::SetReadModel { interval_ms });
                            }
                        }
                    >
                        <option value="0">"on every event"</option>
                        <option value="500">"every 0.5 s"</option>
                        <option value="2000">"every 2 s"</option>
                        <option value="5000">"every 5 s"</option>
                        <option value="15000">"every 15 s"</option>
                    </select>
                </label>
            </section>
        </When>
    }
}
