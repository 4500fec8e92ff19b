//! The timeline: every region's count and the ground truth over the run,
//! as plain SVG. Divergence is a fan of lines, convergence the lines
//! meeting; markers show cuts, heals, crashes, restarts, switches and link
//! changes; a cursor follows the scrubber (or sits at now when live).
//!
//! Drawn from the page's history store (see [`crate::history`]): every
//! `counts` event is a step of the lines, so nothing is sampled or guessed.

use crate::app::Conn;
use crate::format::{coord, decimal, fixed};
use crate::history::{Counts, MsgKey};
use leptos::prelude::*;
use shared::kernel::Millis;
use shared::protocol::history::{HistoryEvent, MarkKind};
use shared::region::RegionId;

const W: f64 = 640.0;
const H: f64 = 150.0;
const PAD_L: f64 = 34.0;
const PAD_R: f64 = 10.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 20.0;

/// A short word for a marker, drawn beside its line.
pub fn mark_word(what: MarkKind) -> &'static str {
    match what {
        MarkKind::Cut => "cut",
        MarkKind::Heal => "heal",
        MarkKind::Isolate => "isolate",
        MarkKind::HealAll => "heal all",
        MarkKind::Crash => "crash",
        MarkKind::Restart => "restart",
        MarkKind::Switch => "switch",
        MarkKind::Links => "links",
        MarkKind::Durable => "durable",
        MarkKind::DataType => "like type",
        MarkKind::ReadModel => "read model",
        MarkKind::Payouts => "payouts",
    }
}

/// What the timeline draws, computed once per change of its inputs.
#[derive(Debug, Clone, PartialEq)]
struct Drawing {
    from: Millis,
    to: Millis,
    top: u64,
    /// One step path per region, then the truth.
    paths: Vec<String>,
    truth: String,
    marks: Vec<(Millis, MarkKind, String)>,
    /// The most super likes any region shows, as a step path (empty
    /// before the first), and when a super like later taken back was
    /// first shown.
    supers: String,
    taken_back: Vec<Millis>,
}

fn x_of(t: Millis, from: Millis, to: Millis) -> f64 {
    let span = (to.saturating_sub(from)).max(1) as f64;
    PAD_L + (t.saturating_sub(from) as f64 / span).min(1.0) * (W - PAD_L - PAD_R)
}

fn y_of(v: u64, top: u64) -> f64 {
    H - PAD_B - (v as f64 / top.max(1) as f64) * (H - PAD_T - PAD_B)
}

fn draw<'a>(events: impl Iterator<Item = &'a HistoryEvent>, from: Millis, to: Millis, base: Option<Counts>) -> Drawing {
    let mut steps: Vec<(Millis, Counts)> = base.map(|b| (from, b)).into_iter().collect();
    let mut marks = Vec::new();
    let mut supers: Vec<(Millis, u64)> = Vec::new();
    let mut taken_back = Vec::new();
    for e in events {
        match e {
            HistoryEvent::SuperLikes { at, values } => supers.push((*at, values.iter().copied().max().unwrap_or(0))),
            HistoryEvent::TakenBack { seen_at, .. } => taken_back.push(*seen_at),
            HistoryEvent::Counts { at, values, truth } => steps.push((*at, (*values, *truth))),
            HistoryEvent::Mark { at, what, a, b } => {
                let names: Vec<&str> = [a, b].into_iter().flatten().map(|r| r.info().city).collect();
                marks.push((*at, *what, names.join(" – ")));
            }
            _ => {}
        }
    }
    let top = steps.iter().flat_map(|(_, (v, t))| v.iter().copied().chain([*t])).max().unwrap_or(0);
    let top = supers.iter().map(|s| s.1).max().unwrap_or(0).max(top).max(1);
    let line = |value: &dyn Fn(&Counts) -> u64| {
        let mut d = String::new();
        let mut last_y = None;
        for (at, c) in &steps {
            let (x, y) = (x_of(*at, from, to), y_of(value(c), top));
            match last_y {
                None => d.push_str(&format!("M{},{}", fixed(x, 1), fixed(y, 1))),
                Some(ly) if ly != y => d.push_str(&format!("H{}V{}", fixed(x, 1), fixed(y, 1))),
                Some(_) => {}
            }
            last_y = Some(y);
        }
        if last_y.is_some() {
            d.push_str(&format!("H{}", fixed(x_of(to, from, to), 1)));
        }
        d
    };
    let paths = RegionId::all().map(|r| line(&|c: &Counts| c.0[r.index()])).collect();
    let truth = line(&|c: &Counts| c.1);
    let mut super_path = String::new();
    if let Some(first) = supers.first() {
        super_path = format!("M{},{}", fixed(x_of(first.0, from, to), 1), fixed(y_of(0, top), 1));
        for (at, n) in &supers {
            super_path.push_str(&format!("H{}V{}", fixed(x_of(*at, from, to), 1), fixed(y_of(*n, top), 1)));
        }
        super_path.push_str(&format!("H{}", fixed(x_of(to, from, to), 1)));
    }
    Drawing { from, to, top, paths, truth, marks, supers: super_path, taken_back }
}

#[component]
pub fn Timeline(conn: Conn, hovered: RwSignal<Option<MsgKey>>) -> impl IntoView {
    let drawing = Memo::new(move |_| {
        let viewing = conn.viewing.get();
        conn.history.with(|h| {
            let s = h.source(viewing);
            draw(s.events, s.from_ms, s.to_ms.max(s.from_ms + 1_000), s.base)
        })
    });
    // The drawing is read in place (`with`), never cloned (`get`): the
    // cursor moves on every frame, and a clone of every path each time was
    // work, and code of its own for `Drawing`.
    let span = move || drawing.with(|d| (d.from, d.to));
    let cursor = move || {
        let (from, to) = span();
        let t = conn.viewing.get().unwrap_or(to);
        fixed(x_of(t, from, to), 1)
    };
    let band = move || {
        let (_, _, sent, end, _) = hovered.get()?;
        let (from, to) = span();
        let (x1, x2) = (x_of(sent, from, to), x_of(end, from, to));
        Some(
            view! {
                <rect class="tl-band" data-role="timeline-highlight" x=fixed(x1, 1) y=coord(PAD_T)
                    width=fixed((x2 - x1).max(2.0), 1) height=coord(H - PAD_T - PAD_B)></rect>
            }
            .into_any(),
        )
    };
    view! {
        <figure class="timeline-wrap">
            <svg class="timeline" data-role="timeline" viewBox=format!("0 0 {} {}", coord(W), coord(H)) role="img"
                aria-label="Every region's count and the ground truth over time">
                {move || drawing.with(|d| {
                    let grid_top = y_of(d.top, d.top);
                    let taken: String = d
                        .taken_back
                        .iter()
                        .map(|&at| format!("M{},{}m-3,0a3,3 0 1,0 6,0a3,3 0 1,0 -6,0", fixed(x_of(at, d.from, d.to), 1), fixed(PAD_T + 2.0, 1)))
                        .collect();
                    view! {
                        <line class="tl-axis" x1=coord(PAD_L) x2=coord(W - PAD_R) y1=coord(H - PAD_B) y2=coord(H - PAD_B)></line>
                        <line class="tl-grid" x1=coord(PAD_L) x2=coord(W - PAD_R) y1=coord(grid_top) y2=coord(grid_top)></line>
                        <text class="tl-label" x=coord(PAD_L - 6.0) y=coord(grid_top + 4.0) text-anchor="end">{d.top}</text>
                        <text class="tl-label" x=coord(PAD_L - 6.0) y=coord(H - PAD_B + 4.0) text-anchor="end">"0"</text>
                        <text class="tl-label" x=coord(PAD_L) y=coord(H - 5.0)>{format!("{} s", decimal(d.from as f64 / 1000.0))}</text>
                        <text class="tl-label" x=coord(W - PAD_R) y=coord(H - 5.0) text-anchor="end">
                            {format!("{} s", decimal(d.to as f64 / 1000.0))}
                        </text>
                        {
                            // A label too close to the previous one is left
                            // out (its line and tooltip stay).
                            let mut last_label = f64::MIN;
                            d.marks.iter().map(|(at, what, names)| {
                                let xf = x_of(*at, d.from, d.to);
                                let x = fixed(xf, 1);
                                let word = mark_word(*what);
                                let label = (xf - last_label >= 72.0).then(|| {
                                    last_label = xf;
                                    view! { <text x=x.clone() y=coord(PAD_T - 2.0) text-anchor="middle">{word}</text> }.into_any()
                                });
                                view! {
                                    <g class="tl-mark" data-role="timeline-mark" data-what=word>
                                        <title>{format!("{word} {names} at {} s", decimal(*at as f64 / 1000.0))}</title>
                                        <line x1=x.clone() x2=x.clone() y1=coord(PAD_T) y2=coord(H - PAD_B)></line>
                                        {label}
                                    </g>
                                }
                            }).map(IntoAny::into_any).collect::<Vec<_>>()
                        }
                        {d.paths.iter().enumerate().map(|(i, p)| view! {
                            <path class=format!("tl-line series-{i}") d=p.clone()></path>
                        }).map(IntoAny::into_any).collect::<Vec<_>>()}
                        <path class="tl-truth" data-role="timeline-truth" d=d.truth.clone()></path>
                        <path class="tl-super" data-role="timeline-super" d=d.supers.clone()></path>
                        // Each super like that was seen and later taken
                        // back: a dot where it first became visible (one
                        // path for all of them).
                        <path class="tl-taken" data-role="timeline-taken-back" data-n=d.taken_back.len()
                            d=taken>
                            <title>"a super like seen here was later taken back"</title>
                        </path>
                    }
                    .into_any()
                })}
                {move || band()}
                <g class="tl-cursor" data-role="timeline-cursor" data-viewing=move || conn.viewing.get().is_some().to_string()>
                    <line x1=move || cursor() x2=move || cursor() y1=coord(PAD_T - 4.0) y2=coord(H - PAD_B)></line>
                    <circle cx=move || cursor() cy=coord(H - PAD_B) r="3.5"></circle>
                </g>
            </svg>
            <figcaption class="tl-legend">
                {RegionId::all().map(|r| view! {
                    <span class=format!("tl-key series-{}", r.index())>{r.info().city}</span>
                }).map(IntoAny::into_any).collect::<Vec<_>>()}
                <span class="tl-key tl-key-truth">"acknowledged (truth)"</span>
                <span class="tl-key tl-key-super">"super likes shown"</span>
            </figcaption>
        </figure>
    }
}
