//! The verdict: did the running strategy keep its promise, how fast, and
//! at what cost — the numbers the server computes for every frame
//! ([`shared::sim::Verdict`]), laid out for the question a person asks
//! after breaking something: "so what did that cost me?"
//!
//! Lost and double-counted likes lead, big, because they are what no
//! amount of waiting repairs. They are only judged once the regions agree
//! (until then "missing" likes may simply be in flight), so before
//! convergence they read as pending, not as good news.

use crate::connection::Connection;
use crate::format::{bytes_text, count_of, duration, per_like, ratio_text, verdict_sentence};
use leptos::prelude::*;
use shared::sim::Verdict;
use shared::strategy::StrategyKind;

#[component]
pub fn VerdictPanel(conn: Connection) -> impl IntoView {
    let verdict = Memo::new(move |_| conn.frame.with(|r| r.as_ref().map(|r| r.frame.sim.verdict.clone())));
    let kind = Memo::new(move |_| conn.frame.with(|r| r.as_ref().map(|r| r.frame.sim.strategy)));
    let v = move |f: fn(&Verdict) -> String| move || verdict.with(|v| v.as_ref().map_or_else(|| "—".to_owned(), f));
    let converged = move || verdict.with(|v| v.as_ref().is_some_and(|v| v.converged));
    let idle = move || verdict.with(|v| v.as_ref().is_none_or(|v| v.acknowledged == 0 && v.in_doubt == 0));
    let wrong = move || verdict.with(|v| v.as_ref().is_some_and(|v| v.lost + v.double_counted > 0));
    let state = move || match () {
        _ if wrong() => "bad",
        _ if idle() => "idle",
        _ if converged() => "good",
        _ => "pending",
    };
    let sentence = move || {
        verdict.with(|v| match (v, kind.get()) {
            (Some(v), Some(kind)) => verdict_sentence(v, kind),
            _ => "Waiting for the room…".to_owned(),
        })
    };
    let number = |f: fn(&Verdict) -> u64| move || verdict.with(|v| v.as_ref().map_or(0, f));
    let lost = number(|v| v.lost);
    let double = number(|v| v.double_counted);
    let tile = move |n: u64| match () {
        _ if n > 0 => "bad",
        _ if converged() && !idle() => "good",
        _ => "pending",
    };
    let lww = move || kind.get() == Some(StrategyKind::LastWriterWins);
    // Pipeline stages ("on the queues" against "in the database"): the gap
    // between them is what a queue-and-batch design promises, so it is shown
    // as numbers side by side, not buried in prose.
    let stages =
        Memo::new(move |_| conn.frame.with(|r| r.as_ref().map(|r| r.frame.sim.stages.clone()).unwrap_or_default()));

    view! {
        <section class="panel verdict" data-role="verdict" data-state=state aria-labelledby="verdict-title">
            <div class="panel-head">
                <h2 id="verdict-title">"Verdict"</h2>
                <span class="verdict-flag">
                    {move || match state() {
                        "bad" => "wrong count",
                        "good" => "nothing lost",
                        "pending" => "judging…",
                        _ => "no likes yet",
                    }}
                </span>
            </div>
            <p class="verdict-sentence" data-role="verdict-sentence">{sentence}</p>

            <div class="verdict-tiles">
                <div class="tile" data-state=move || tile(lost())>
                    <span class="tile-number" data-role="verdict-lost">{lost}</span>
                    <span class="tile-label">"likes lost"</span>
                    <span class="tile-note">
                        {move || match verdict.with(|v| v.as_ref().map_or(0, |v| v.lost_in_crashes)) {
                            0 => "none in crashes".to_owned(),
                            n => format!("{n} in crashes"),
                        }}
                    </span>
                </div>
                <div class="tile" data-state=move || tile(double())>
                    <span class="tile-number" data-role="verdict-double">{double}</span>
                    <span class="tile-label">"double counted"</span>
                    <span class="tile-note">"counted beyond what was liked"</span>
                </div>
            </div>

            <Show when=move || stages.with(|s| !s.is_empty())>
                <ol class="stages" data-role="stages">
                    {move || stages.get().into_iter().map(|stage| view! {
                        <li class="stage" data-role="stage">
                            <span class="stage-count">{stage.count}</span>
                            <span class="stage-label">{stage.label}</span>
                            <span class="stage-note">{stage.note}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </Show>

            <dl class="facts">
                <div class="fact">
                    <dt>"Acknowledged"</dt>
                    <dd>
                        <span class="fact-big" data-role="verdict-acked">{v(|v| v.acknowledged.to_string())}</span>
                        <span class="fact-note">
                            {v(|v| format!("{} in doubt · {} refused", v.in_doubt, v.refused))}
                        </span>
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Converged"</dt>
                    <dd>
                        <span class="fact-big" data-role="verdict-converged" data-state=move || if converged() { "yes" } else { "no" }>
                            {move || if converged() { "Yes" } else { "Not yet" }}
                        </span>
                        <span class="fact-note" data-role="verdict-timing">
                            {v(|v| match (v.converged, v.convergence_ms, v.bound_ms, v.ratio) {
                                (true, Some(ms), Some(b), Some(r)) => {
                                    format!("in {} · bound {} · {}", duration(ms), duration(b), ratio_text(r))
                                }
                                (true, Some(ms), _, _) => format!("in {}", duration(ms)),
                                (false, _, Some(b), _) => format!("bound {}", duration(b)),
                                (false, _, None, _) if v.acknowledged > 0 => "some region cannot get every like".to_owned(),
                                _ => String::new(),
                            })}
                        </span>
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Visible everywhere after"</dt>
                    <dd>
                        <span class="fact-big">{v(|v| v.visibility.p50_ms.map_or_else(|| "—".to_owned(), duration))}</span>
                        <span class="fact-note">
                            {move || {
                                if lww() {
                                    return "meaningless for last writer wins: counts fall short for good".to_owned();
                                }
                                verdict.with(|v| v.as_ref().map_or_else(String::new, |v| {
                                    if v.visibility.samples == 0 {
                                        return match v.visibility.unseen {
                                            0 => "median, once a like has reached all six".to_owned(),
                                            n => format!("{} not yet everywhere", count_of(n, "like", "likes")),
                                        };
                                    }
                                    let ms = |x: Option<u64>| x.map_or_else(|| "—".to_owned(), duration);
                                    let mut s = format!("median · p99 {} · max {}", ms(v.visibility.p99_ms), ms(v.visibility.max_ms));
                                    if v.visibility.unseen > 0 {
                                        s.push_str(&format!(" · {} not yet everywhere", v.visibility.unseen));
                                    }
                                    s
                                }))
                            }}
                        </span>
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Stale reads"</dt>
                    <dd>
                        <span class="fact-big" data-role="verdict-stale">
                            {v(|v| match v.reads {
                                0 => "—".to_owned(),
                                n => format!("{:.0} %", v.stale_reads as f64 * 100.0 / n as f64),
                            })}
                        </span>
                        <span class="fact-note">
                            {v(|v| format!("{} of {}", v.stale_reads, count_of(v.reads, "read", "reads")))}
                        </span>
                    </dd>
                </div>
                <div class="fact fact-wide">
                    <dt>"Cost per like"</dt>
                    <dd>
                        <span class="fact-big" data-role="verdict-cost">
                            {v(|v| match (v.messages_per_like, v.bytes_per_like) {
                                (Some(m), Some(b)) => format!("{} msgs · {}", per_like(Some(m)), bytes_text(b.round() as u64)),
                                _ => "—".to_owned(),
                            })}
                        </span>
                        <span class="fact-note">
                            {v(|v| match v.bytes_saved {
                                0 => "messages and bytes on the wire, per acknowledged like".to_owned(),
                                n => format!("deltas saved {} against full states", bytes_text(n)),
                            })}
                        </span>
                    </dd>
                </div>
            </dl>
        </section>
    }
}
