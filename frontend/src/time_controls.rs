//! The room's clock: pause, resume, step, speed. Room-wide (everyone in the
//! room sees the clock stop), so locked in the public room like every
//! other control, with the reason said next to the buttons.
//!
//! Pause and Resume take turns in one place: the button shows what a click
//! will do. What the clock's state means is said by [`crate::time_note`].

use crate::app::Conn;
use crate::lab::Lab;
use crate::when::When;
use leptos::prelude::*;
use shared::protocol::{ClientMessage, MAX_SPEED, MIN_SPEED};

/// The speeds offered (simulated seconds per real second), each with its
/// option's value, written as `f64`'s `Display` writes it. Written out
/// rather than formatted and parsed: float formatting and parsing are
/// kilobytes of wasm, for five fixed strings.
const SPEEDS: [(f64, &str); 5] = [(0.1, "0.1"), (0.25, "0.25"), (0.5, "0.5"), (1.0, "1"), (2.0, "2")];

#[component]
pub fn TimeControls(conn: Conn, lab: Lab) -> impl IntoView {
    // A selection, not a memo of its own type (`None` before the first frame).
    let time = conn.select_frame(|f| (f.time.paused, f.time.speed));
    let paused = move || time.get().is_some_and(|t| t.0);
    let speed = move || time.get().map_or(1.0, |t| t.1);
    let off = move || !lab.usable();
    let set_speed = move |ev| {
        let value = event_target_value(&ev);
        if let Some(&(speed, _)) = SPEEDS.iter().find(|(_, v)| *v == value) {
            if (MIN_SPEED..=MAX_SPEED).contains(&speed) {
                lab.send(ClientMessage::SetSpeed { speed });
            }
        }
    };
    view! {
        <div class="time-controls" role="group" aria-label="The room's clock" data-paused=move || paused().to_string()>
            <When
                when=paused
                fallback=move || view! {
                    <button class="button" data-role="time-pause" disabled=move || off()
                        on:click=move |_| lab.send(ClientMessage::Pause)>
                        "❚❚ Pause"
                    </button>
                }
            >
                <button class="button button-primary" data-role="time-resume" disabled=move || off()
                    on:click=move |_| lab.send(ClientMessage::Resume)>
                    "▶ Resume"
                </button>
            </When>
            <button class="button" data-role="time-step" disabled=move || off()
                title="Pause if needed, then advance to the next event: one delivery or timer"
                on:click=move |_| lab.send(ClientMessage::Step)>
                "Step ›"
            </button>
            <label class="time-speed">
                <span class="muted">"Speed"</span>
                <select class="select" data-role="time-speed" disabled=move || off() on:change=set_speed
                    // A speed not offered selects no option, as before.
                    prop:value=move || SPEEDS.iter().find(|(s, _)| (speed() - s).abs() < 1e-9).map_or("", |(_, v)| *v)>
                    {SPEEDS.iter().map(|&(s, v)| view! {
                        <option value=v selected=move || (speed() - s).abs() < 1e-9>
                            "×"{v}
                        </option>
                    }).map(IntoAny::into_any).collect::<Vec<_>>()}
                </select>
            </label>
        </div>
    }
}
