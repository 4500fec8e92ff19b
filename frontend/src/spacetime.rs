//! The space-time diagram: one lane per region, time flowing down, each
//! message an arrow from its send to its delivery — "who knew what, when".
//! A lost message ends in a cross where it vanished, one refused at a cut
//! link is a short stub with a cross at its sender, a duplicated one is
//! drawn twice; likes are hearts' dots on their lane, a delivery that
//! changed the receiver's count (a merge) a ring at the arrow's head.
//!
//! It shows the last [`SPAN_MS`] up to the moment viewed (the scrubber's,
//! or now). Live, messages still on the wire come from the frame's
//! packets and are drawn up to now; in the past, from the history itself.
//! Hovering an arrow highlights it here and on the timeline. The diagram
//! draws at most [`MAX_ARROWS`] arrows (the newest), so a flood stays
//! cheap to render; it says so when it leaves some out.

use crate::app::Conn;
use crate::format::{coord, fixed};
use crate::history::MsgKey;
use crate::keyed_list::keyed_list;
use leptos::prelude::*;
use shared::kernel::Millis;
use shared::protocol::history::{Fate, HistoryEvent, MsgEvent};
use shared::region::RegionId;

/// The time the diagram spans, top to bottom.
pub const SPAN_MS: Millis = 10_000;
/// Most arrows drawn at once.
pub const MAX_ARROWS: usize = 240;

const W: f64 = 640.0;
const H: f64 = 340.0;
const PAD_X: f64 = 56.0;
const PAD_T: f64 = 26.0;
const PAD_B: f64 = 10.0;

fn lane_x(r: RegionId) -> f64 {
    PAD_X + r.index() as f64 * (W - 2.0 * PAD_X) / (RegionId::COUNT - 1) as f64
}

/// One arrow to draw.
#[derive(Debug, Clone, PartialEq)]
struct Arrow {
    msg: MsgEvent,
    /// Still on the wire at the moment viewed: drawn up to then, no head.
    flying: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Drawing {
    top: Millis,
    bottom: Millis,
    arrows: Vec<Arrow>,
    likes: Vec<(RegionId, Millis, bool)>,
    marks: Vec<(Millis, &'static str)>,
    left_out: usize,
}

/// Drawing units per simulated ms.
const K: f64 = (H - PAD_T - PAD_B) / SPAN_MS as f64;

/// Where `t` is drawn when `top` is at the top (the plot is clipped).
fn y_of(t: Millis, top: Millis) -> f64 {
    PAD_T + (t as f64 - top as f64) * K
}

/// Identifies a finished arrow across frames, so it is drawn once.
fn arrow_key(a: &Arrow) -> (MsgKey, &'static str, String) {
    let m = &a.msg;
    let fate = match m.fate {
        Fate::Delivered => "d",
        Fate::Lost => "x",
        Fate::Refused => "r",
    };
    ((m.from, m.to, m.sent_at, m.end_at, m.dup), fate, m.label.clone())
}

#[component]
pub fn Spacetime(conn: Conn, hovered: RwSignal<Option<MsgKey>>) -> impl IntoView {
    let drawing = Memo::new(move |_| {
        let viewing = conn.viewing.get();
        let bottom = viewing.unwrap_or_else(|| conn.live_now.get());
        let top = bottom.saturating_sub(SPAN_MS);
        let mut arrows = Vec::new();
        let mut likes = Vec::new();
        let mut marks = Vec::new();
        conn.history.with(|h| {
            for e in h.source(viewing).events {
                match e {
                    HistoryEvent::Msg(m) if m.sent_at <= bottom && m.end_at >= top => {
                        arrows.push(Arrow { msg: m.clone(), flying: m.end_at > bottom })
                    }
                    HistoryEvent::Like { region, at, ok } if (top..=bottom).contains(at) => {
                        likes.push((*region, *at, *ok))
                    }
                    HistoryEvent::Mark { at, what, .. } if (top..=bottom).contains(at) => {
                        marks.push((*at, crate::timeline::mark_word(*what)))
                    }
                    _ => {}
                }
            }
        });
        // Live: what is on the wire now is in the frame, not yet in the
        // history (a message is recorded when it lands).
        if viewing.is_none() {
            conn.frame.with(|r| {
                for p in r.iter().flat_map(|r| r.frame.sim.packets.iter()) {
                    arrows.push(Arrow {
                        msg: MsgEvent {
                            from: p.from,
                            to: p.to,
                            sent_at: p.sent_at,
                            end_at: p.arrive_at,
                            label: p.label.clone(),
                            like: !p.background,
                            fate: if p.lost { Fate::Lost } else { Fate::Delivered },
                            dup: false,
                            merged: false,
                            saga: false,
                        },
                        flying: true,
                    })
                }
            });
        }
        let left_out = arrows.len().saturating_sub(MAX_ARROWS);
        if left_out > 0 {
            crate::sort::sort_by_key(&mut arrows, |a| a.msg.sent_at);
            arrows.drain(..left_out);
        }
        Drawing { top, bottom, arrows, likes, marks, left_out }
    });

    let arrow_view = move |a: Arrow, top: Millis, bottom: Millis| {
        let m = &a.msg;
        let key: MsgKey = (m.from, m.to, m.sent_at, m.end_at, m.dup);
        let (x1, y1) = (lane_x(m.from), y_of(m.sent_at, top));
        // A flying message is drawn to where it is at the moment viewed.
        let (end_t, frac) = if a.flying {
            let span = m.end_at.saturating_sub(m.sent_at).max(1) as f64;
            (bottom, (bottom.saturating_sub(m.sent_at) as f64 / span).clamp(0.0, 1.0))
        } else {
            (m.end_at, 1.0)
        };
        let x2 = x1 + (lane_x(m.to) - x1) * frac;
        let y2 = y_of(end_t, top);
        // Refused at the sender: a short stub toward the receiver.
        let (x2, y2) =
            if m.fate == Fate::Refused { (x1 + (lane_x(m.to) - x1).signum() * 14.0, y1 + 6.0) } else { (x2, y2) };
        let lost = m.fate != Fate::Delivered;
        let done = !a.flying;
        let cross = (done && lost).then(|| {
            let d = format!("M{},{}l8,8m0,-8l-8,8", fixed(x2 - 4.0, 1), fixed(y2 - 4.0, 1));
            view! { <path class="st-cross" d=d></path> }.into_any()
        });
        let head = (done && !lost && m.merged)
            .then(|| view! { <circle class="st-merge" cx=coord(x2) cy=coord(y2) r="3"></circle> }.into_any());
        let title = format!(
            "{} {} → {}: sent at {} s, {} at {} s{}",
            m.label,
            m.from.info().city,
            m.to.info().city,
            fixed(m.sent_at as f64 / 1000.0, 1),
            match (a.flying, m.fate) {
                (true, _) => "due",
                (false, Fate::Delivered) => "delivered",
                (false, Fate::Lost) => "lost",
                (false, Fate::Refused) => "refused",
            },
            fixed(m.end_at as f64 / 1000.0, 1),
            if m.dup { " (duplicate)" } else { "" },
        );
        let class = format!(
            "st-arrow{}{}{}",
            // A saga's request or reply: money moving, drawn apart from
            // replication traffic.
            if m.saga {
                " st-saga"
            } else if m.like {
                " st-like"
            } else {
                " st-bg"
            },
            if lost { " st-lost" } else { "" },
            if a.flying { " st-flying" } else { "" },
        );
        view! {
            <g class=class
                data-role=if a.flying { "spacetime-flight" } else { "spacetime-arrow" }
                data-from=m.from.id() data-to=m.to.id() data-label=m.label.clone()
                data-lost=lost.to_string() data-dup=m.dup.to_string()
                data-hover=move || (hovered.get() == Some(key)).to_string()
                on:mouseenter=move |_| hovered.set(Some(key))
                on:mouseleave=move |_| hovered.set(None)>
                <title>{title}</title>
                <line class="st-hit" x1=coord(x1) y1=coord(y1) x2=coord(x2) y2=coord(y2)></line>
                <line class="st-line" x1=coord(x1) y1=coord(y1) x2=coord(x2) y2=coord(y2)
                    marker-end=(done && !lost).then_some("url(#st-head)")></line>
                {cross}
                {head}
            </g>
        }
    };

    view! {
        <figure class="spacetime-wrap">
            <svg class="spacetime" data-role="spacetime" viewBox=format!("0 0 {} {}", coord(W), coord(H)) role="img"
                aria-label="Space-time diagram: one lane per region, time flowing down, an arrow per message">
                <defs>
                    <marker id="st-head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7"
                        orient="auto-start-reverse">
                        <path d="M0,0L8,4L0,8z" class="st-head"></path>
                    </marker>
                </defs>
                {RegionId::all().map(|r| {
                    let x = lane_x(r);
                    view! {
                        <g class="st-lane" data-role="spacetime-lane" data-region=r.id()>
                            <text x=coord(x) y=coord(14.0) text-anchor="middle">{r.info().city}</text>
                            <line x1=coord(x) x2=coord(x) y1=coord(PAD_T - 4.0) y2=coord(H - PAD_B)></line>
                        </g>
                    }
                }).map(IntoAny::into_any).collect::<Vec<_>>()}
                <clipPath id="st-clip">
                    <rect x="0" y=coord(PAD_T - 6.0) width=coord(W) height=coord(H - PAD_T - PAD_B + 6.0)></rect>
                </clipPath>
                // Finished arrows never change: each is drawn once, at its
                // absolute time, and the group scrolls (a busy room would
                // otherwise rebuild hundreds of elements every frame).
                <g clip-path="url(#st-clip)">
                    <g transform=move || format!("translate(0 {})", fixed(-(drawing.with(|d| d.top) as f64) * K, 2))>
                        {keyed_list(
                            move || drawing.with(|d| d.arrows.iter().filter(|a| !a.flying).cloned().collect::<Vec<_>>()),
                            arrow_key,
                            move |a| arrow_view(a, 0, 0).into_any(),
                        )}
                    </g>
                </g>
                // Read in place (`with`), not cloned (`get`): only the
                // arrows in flight are copied out, not the whole drawing.
                {move || drawing.with(|d| {
                    let (top, bottom) = (d.top, d.bottom);
                    view! {
                        {d.marks.iter().map(|&(at, word)| {
                            let y = y_of(at, top);
                            view! {
                                <g class="st-mark" data-role="spacetime-mark">
                                    <line x1=coord(PAD_X - 20.0) x2=coord(W - PAD_X + 20.0) y1=coord(y) y2=coord(y)></line>
                                    <text x=coord(W - 4.0) y=coord(y - 3.0) text-anchor="end">{word}</text>
                                </g>
                            }
                        }).map(IntoAny::into_any).collect::<Vec<_>>()}
                        {d.arrows.iter().filter(|a| a.flying).cloned().map(|a| arrow_view(a, top, bottom)).map(IntoAny::into_any).collect::<Vec<_>>()}
                        {d.likes.iter().map(|&(r, at, ok)| view! {
                            <circle class="st-like-dot" data-role="spacetime-like" data-region=r.id()
                                data-ok=ok.to_string() cx=coord(lane_x(r)) cy=coord(y_of(at, top)) r="4.5">
                                <title>{format!("like in {} at {} s{}", r.info().city, fixed(at as f64 / 1000.0, 1),
                                    if ok { "" } else { " (refused)" })}</title>
                            </circle>
                        }).map(IntoAny::into_any).collect::<Vec<_>>()}
                        <text class="st-time" x=coord(4.0) y=coord(PAD_T + 4.0)>{format!("{} s", fixed(top as f64 / 1000.0, 1))}</text>
                        <text class="st-time" x=coord(4.0) y=coord(H - PAD_B)>{format!("{} s", fixed(bottom as f64 / 1000.0, 1))}</text>
                    }
                    .into_any()
                })}
            </svg>
            <figcaption class="st-legend muted">
                <span class="st-key st-key-like">"a like's message"</span>
                <span class="st-key st-key-bg">"background (gossip, sync)"</span>
                <span class="st-key st-key-lost">"lost ✕"</span>
                <span class="st-key st-key-merge">"changed a count"</span>
                {move || {
                    let n = drawing.with(|d| d.left_out);
                    (n > 0).then(|| view! { <span data-role="spacetime-left-out">{format!("{n} older arrows not drawn")}</span> }.into_any())
                }}
            </figcaption>
        </figure>
    }
}
