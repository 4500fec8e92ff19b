//! The verdict's measurements: acknowledged likes, how long the last
//! episode took to settle (broken down against its reference), how soon a
//! like was visible everywhere, stale reads, and the cost split into a
//! like's own traffic and the background's.
//!
//! Each fact is shown only where it is defined: visibility not for last
//! writer wins (which overwrites likes rather than delaying them), cost
//! per like not before a like, background not before a simulated second.
//! The time shown is the header's (`took_ms` is `timing.measured_ms`).

use crate::app::Conn;
use crate::format::{
    background_text, bytes_text, count_of, duration, fixed, idle, like_cost_text, timing_text, took_text,
};
use crate::selection::Selection;
use crate::when::When;
use leptos::prelude::*;
use shared::protocol::view::Consistency;
use shared::sim::{Verdict, Visibility};

#[component]
pub fn Facts(conn: Conn, verdict: Selection<Verdict>) -> impl IntoView {
    let v = move |f: fn(&Verdict) -> String| move || verdict.with(|v| v.as_ref().map(f).unwrap_or_default());
    let has = move |f: fn(&Verdict) -> bool| move || verdict.with(|v| v.as_ref().is_some_and(f));
    view! {
        <dl class="facts">
            <div class="fact">
                <dt>"Acknowledged"</dt>
                <dd>
                    <span class="fact-big" data-role="verdict-acked">{v(|v| v.acknowledged.to_string())}</span>
                    <span class="fact-note">{v(|v| match (v.in_doubt, v.refused) {
                        (0, 0) => "likes users were told were taken".to_owned(),
                        (d, r) => format!("{d} in doubt · {r} refused"),
                    })}</span>
                </dd>
            </div>
            <When when=has(|v| v.reads > 0)>
                <div class="fact">
                    <dt>"Stale reads"</dt>
                    <dd>
                        <span class="fact-big" data-role="verdict-stale">
                            {v(|v| format!("{} %", fixed(v.stale_reads as f64 * 100.0 / v.reads.max(1) as f64, 0)))}
                        </span>
                        <span class="fact-note">
                            {v(|v| format!("{} of {}, one per region every 100 ms", v.stale_reads, count_of(v.reads, "read", "reads")))}
                        </span>
                    </dd>
                </div>
            </When>
            // Nothing to time before the first like.
            <When when=has(|v| !idle(v))>
                <Settled conn verdict/>
            </When>
            <When when=has(|v| v.visibility.as_ref().is_some_and(|x| x.samples + x.unseen > 0))>
                <div class="fact fact-wide" data-role="verdict-visibility">
                    <dt>"Visible everywhere after"</dt>
                    <dd>
                        <span class="fact-big">
                            {v(|v| v.visibility.as_ref().and_then(|x| x.p50_ms).map_or_else(|| "not yet".to_owned(), duration))}
                        </span>
                        <span class="fact-note">{v(|v| v.visibility.as_ref().map(visibility_note).unwrap_or_default())}</span>
                    </dd>
                </div>
            </When>
            <When when=has(|v| v.like_messages_per_like.is_some() || v.background_messages_per_s.is_some())>
                <div class="fact fact-wide">
                    <dt>"Cost"</dt>
                    <dd class="costs">
                        <When when=has(|v| v.like_messages_per_like.is_some())>
                            <span class="cost-label">"per like"</span>
                            <span class="cost-value" data-role="verdict-cost">
                                {v(|v| like_cost_text(v.like_messages_per_like.unwrap_or(0.0), v.like_bytes_per_like.unwrap_or(0.0)))}
                            </span>
                            <span class="fact-note">{v(|v| match v.bytes_saved {
                                0 => "what a like sends itself, with its acks and re-sends".to_owned(),
                                n => format!("what a like sends itself; deltas saved {}", bytes_text(n)),
                            })}</span>
                        </When>
                        <When when=has(|v| v.background_messages_per_s.is_some())>
                            <span class="cost-label">"background"</span>
                            <span class="cost-value" data-role="verdict-background">
                                {v(|v| background_text(v.background_messages_per_s.unwrap_or(0.0), v.background_bytes_per_s.unwrap_or(0.0)))}
                            </span>
                            <span class="fact-note">"gossip, sync rounds, heartbeats"</span>
                        </When>
                    </dd>
                </div>
            </When>
            <When when=has(|v| v.sagas.is_some())>
                <Money conn/>
            </When>
        </dl>
    }
}

/// Super likes: whether money was conserved at every saga event, and how
/// the sagas ended.
#[component]
fn Money(conn: Conn) -> impl IntoView {
    // The verdict's saga part as a selection, not a memo of its own type.
    let money = conn.select(|s| s.verdict.sagas.clone());
    let conserved = move || money.with(|m| m.as_ref().and_then(Option::as_ref).is_some_and(|m| m.conserved));
    view! {
        <div class="fact fact-wide" data-role="money-conserved" data-state=move || if conserved() { "yes" } else { "no" }>
            <dt>"Money conserved"</dt>
            <dd>
                <span class="fact-big">{move || if conserved() { "Yes" } else { "No" }}</span>
                <span class="fact-note">{move || money.with(|m| m.as_ref().and_then(Option::as_ref).map(money_note).unwrap_or_default())}</span>
            </dd>
        </div>
    }
}

/// "3 in wallets + 0 paid + 0 in flight = 3 issued · 2 completed · …".
fn money_note(s: &shared::sim::SagaVerdict) -> String {
    format!(
        "{} in wallets + {} paid + {} in flight = {} issued · {}",
        s.in_wallets,
        s.paid_out,
        s.in_flight,
        s.issued,
        saga_counts(s)
    )
}

/// "2 completed · 1 compensated · 0 running · 1 seen, then taken back".
fn saga_counts(s: &shared::sim::SagaVerdict) -> String {
    let mut parts = vec![
        format!("{} completed", s.completed),
        format!("{} compensated", s.compensated),
        format!("{} running", s.running),
    ];
    if s.stranded > 0 {
        parts.push(format!(
            "{} stranded ({} in flight for good: a volatile crash forgot them)",
            s.stranded,
            count_of(s.stranded_coins, "coin", "coins")
        ));
    }
    parts.push(format!("{} seen, then taken back", count_of(s.seen_then_taken_back, "super like", "super likes")));
    parts.join(" · ")
}

/// "median · p99 1.9 s · max 2.3 s · 2 not yet everywhere".
fn visibility_note(x: &Visibility) -> String {
    let mut parts = Vec::new();
    if x.samples > 0 {
        parts.push("median".to_owned());
        if let Some(p99) = x.p99_ms {
            parts.push(format!("p99 {}", duration(p99)));
        }
        if let Some(max) = x.max_ms {
            parts.push(format!("max {}", duration(max)));
        }
    }
    if x.unseen > 0 {
        parts.push(format!("{} not yet everywhere", count_of(x.unseen, "like", "likes")));
    }
    parts.join(" · ")
}

/// Whether the room has settled and in how long, with the time broken down
/// against its reference. The time is the room status's `took_ms`, so it
/// always equals the header's; the breakdown is shown only for the episode
/// that time measured.
#[component]
fn Settled(conn: Conn, verdict: Selection<Verdict>) -> impl IntoView {
    let status = conn.select(|s| (s.consistency, s.strategy));
    let settled = move || verdict.with(|v| v.as_ref().is_some_and(|v| v.settled));
    let took = move || match status.get() {
        Some((Consistency::Settled { took_ms, .. }, _)) => took_ms,
        _ => None,
    };
    let big = move || match (settled(), took()) {
        (false, _) => "Not yet".to_owned(),
        (true, Some(ms)) => took_text(ms),
        (true, None) => "Yes".to_owned(),
    };
    let sentence = move || {
        let (_, kind) = status.get()?;
        let took = took()?;
        verdict.with(|v| {
            let v = v.as_ref().filter(|v| v.settled)?;
            let t = v.timing.as_ref().filter(|t| t.measured_ms == took)?;
            Some(timing_text(t, kind))
        })
    };
    view! {
        <div class="fact fact-wide">
            <dt>"Settled"</dt>
            <dd>
                <span
                    class="fact-big"
                    data-role="verdict-converged"
                    data-state=move || match verdict.with(|v| v.as_ref().map(|v| (v.settled, v.correct()))) {
                        Some((true, true)) => "yes",
                        Some((true, false)) => "wrong",
                        _ => "no",
                    }
                    data-ms=move || took().map(|ms| ms.to_string())
                >
                    {move || big()}
                </span>
                <span class="fact-note" data-role="verdict-timing">{move || sentence()}</span>
            </dd>
        </div>
    }
}
