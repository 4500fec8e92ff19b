//! The verdict: did the running strategy keep its promise, how fast, and
//! at what cost — the numbers the server computes for every frame
//! ([`shared::sim::Verdict`]), laid out for the question a person asks
//! after breaking something: "so what did that cost me?"
//!
//! The verdict judges only a room that has *settled* (nothing in flight,
//! queued or awaiting an answer can still change a replica). Until then it
//! says "judging…" and what it waits for, in words, and never shows a loss:
//! a like waiting for a batch is late, not lost. Once settled, lost and
//! double-counted likes lead, big, because no amount of waiting repairs
//! them (see [`crate::verdict_judgement`]); the measurements follow (see
//! [`crate::verdict_facts`]). A figure that does not apply to the running
//! strategy is left out rather than shown with a disclaimer.

use crate::app::Conn;
use crate::format::{idle, verdict_sentence};
use crate::switch_notice::SwitchNotice;
use crate::verdict_facts::Facts;
use crate::verdict_judgement::{CrashNote, Judgement, Stages};
use leptos::prelude::*;
use shared::sim::Verdict;

/// The verdict's state: `idle` (no likes), `pending` (judging), `good`
/// (settled, every like counted once) or `bad` (settled on a wrong count).
pub fn verdict_state(v: &Verdict) -> &'static str {
    match () {
        _ if idle(v) => "idle",
        _ if !v.settled => "pending",
        _ if v.correct() => "good",
        _ => "bad",
    }
}

#[component]
pub fn VerdictPanel(conn: Conn) -> impl IntoView {
    let verdict = conn.select(|s| s.verdict.clone());
    let kind = conn.select(|s| s.strategy);
    // A selection (`None`, idle, before the first frame), not a memo of
    // its own type.
    let state = conn.select(|s| verdict_state(&s.verdict));
    let sentence = move || {
        verdict.with(|v| match (v, kind.get()) {
            (Some(v), Some(kind)) => verdict_sentence(v, kind),
            _ => "Waiting for the room…".to_owned(),
        })
    };

    view! {
        <section class="panel verdict" data-role="verdict" data-state=move || state.get().unwrap_or("idle") aria-labelledby="verdict-title">
            <div class="panel-head">
                <h2 id="verdict-title">"Verdict"</h2>
                <span class="verdict-flag" data-role="verdict-flag">
                    {move || match state.get().unwrap_or("idle") {
                        "bad" => "wrong count",
                        "good" => "nothing lost",
                        "pending" => "judging…",
                        _ => "no likes yet",
                    }}
                </span>
            </div>
            <SwitchNotice conn/>
            <p class="verdict-sentence" data-role="verdict-sentence">{move || sentence()}</p>
            <Judgement verdict state/>
            <CrashNote verdict/>
            <Stages conn/>
            <Facts conn verdict/>
        </section>
    }
}
