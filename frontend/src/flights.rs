//! Messages in flight, drawn on a canvas over the map.
//!
//! Why a canvas: a busy room has hundreds of messages on the wire, and one
//! reactive signal (or one SVG node) per message per animation frame would
//! make Leptos diff the DOM 60 times a second. Instead the latest frame's
//! packet list is copied into a plain [`Scene`] when the frame arrives, and
//! one `requestAnimationFrame` loop draws every dot from it, placing each by
//! its send and due times against the locally extrapolated simulated clock
//! ([`Anchor`]). Nothing here is reactive per message.
//!
//! Honesty rules (as on the SVG map before): only what the latest frame
//! lists is drawn; a dot waits at its destination rather than claiming an
//! arrival the server has not reported. Colour says what a message *does*:
//! `news` (from the server: it would change its receiver if it landed now)
//! separates a like or a count on its way from gossip that only repeats
//! what the peer already holds, so an idle room looks idle. A message the
//! server says will be lost fades as it goes; one that vanished before its
//! due time because its link was cut or its receiver crashed bursts where
//! it was when that happened.

use crate::app::Conn;
use crate::clock::{perf_now, Anchor};
use crate::connection::Status;
use crate::geo::{progress, project, Lane, Point, MAP_H, MAP_W};
use leptos::html;
use leptos::prelude::*;
use shared::kernel::MessageKind;
use shared::protocol::view::{PacketView, SimView, MAX_PACKETS_IN_SMALL_VIEW};
use shared::region::RegionId;
use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d;

/// How a message is drawn, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// A like event its receiver has not counted yet.
    Like,
    /// A count (counter state, a total) its receiver would take.
    Count,
    /// Changes nothing where it lands: gossip repeating what the peer
    /// holds, an acknowledgement, a duplicate.
    Quiet,
    /// Will vanish instead of arriving.
    Lost,
    /// A super like's saga step (request, reply or push).
    Saga,
}

impl Look {
    pub fn of(p: &PacketView) -> Look {
        match (p.lost, p.news, p.kind) {
            (true, _, _) => Look::Lost,
            _ if p.saga => Look::Saga,
            (false, false, _) => Look::Quiet,
            (false, true, MessageKind::Like) => Look::Like,
            (false, true, MessageKind::State) => Look::Count,
        }
    }
}

/// One message, ready to draw.
#[derive(Debug, Clone, PartialEq)]
struct Dot {
    from: RegionId,
    to: RegionId,
    lane: Lane,
    sent_at: u64,
    arrive_at: u64,
    look: Look,
}

/// A message dropped before its time, fading where it was.
#[derive(Debug, Clone, Copy)]
struct Burst {
    at: Point,
    /// Local time (ms) it started.
    since: f64,
}

/// Everything the loop draws from; replaced on every frame.
#[derive(Default)]
struct Scene {
    dots: Vec<Dot>,
    bursts: Vec<Burst>,
    anchor: Anchor,
    /// Colours from the stylesheet, refreshed now and then (the scheme can
    /// change while the page is open).
    palette: Palette,
    palette_age: u32,
    /// Draw sparsely: the reader asked for reduced motion.
    reduced: bool,
    last_draw: f64,
}

#[derive(Default, Clone)]
struct Palette {
    like: String,
    count: String,
    quiet: String,
    lost: String,
    saga: String,
}

fn position(id: RegionId) -> Point {
    let r = id.info();
    project(r.lat, r.lon)
}

impl Dot {
    fn of(p: &PacketView) -> Dot {
        Dot {
            from: p.from,
            to: p.to,
            lane: Lane::between(position(p.from), position(p.to)),
            sent_at: p.sent_at,
            arrive_at: p.arrive_at,
            look: Look::of(p),
        }
    }

    fn same(&self, other: &Dot) -> bool {
        (self.from, self.to, self.sent_at, self.arrive_at) == (other.from, other.to, other.sent_at, other.arrive_at)
    }
}

/// Messages of the old list that vanished before they were due because
/// their link is now cut or their receiver is down: dropped, not delivered.
/// (A message that merely left a capped list is not one of them: only a
/// cut or a crash counts, and a cut or a crash loses everything on its way
/// over the link or to the region, listed or not. A list at the largest cap
/// is left alone all the same: too many to fade one by one.)
fn dropped(old: &[Dot], new: &[Dot], sim: &SimView) -> Vec<(Dot, u64)> {
    if old.len() >= MAX_PACKETS_IN_SMALL_VIEW {
        return Vec::new();
    }
    let now = sim.now_ms;
    let cut = |d: &Dot| sim.faults.cut.iter().any(|l| l.from == d.from && l.to == d.to);
    let down = |d: &Dot| sim.replicas.iter().any(|r| r.region == d.to && r.crashed);
    old.iter()
        .filter(|d| d.arrive_at > now && !new.iter().any(|n| n.same(d)) && (cut(d) || down(d)))
        .map(|d| (d.clone(), now))
        .collect()
}

#[component]
pub fn FlightCanvas(conn: Conn) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let scene = StoredValue::new_local(Scene {
        reduced: window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches()),
        ..Scene::default()
    });
    Effect::new(move |_| {
        let live = conn.status.get() == Status::Live;
        conn.frame.with(|r| {
            let Some(r) = r else { return };
            let dots: Vec<Dot> = r.frame.sim.packets.iter().map(Dot::of).collect();
            let now = perf_now();
            scene.update_value(|s| {
                for (d, at) in dropped(&s.dots, &dots, &r.frame.sim) {
                    let t = progress(at as f64, d.sent_at, d.arrive_at);
                    s.bursts.push(Burst { at: d.lane.at(t), since: now });
                }
                s.dots = dots;
                s.anchor = Anchor::of(r, live);
            });
        });
    });
    Effect::new(move |_| {
        if canvas.get().is_some() {
            schedule(canvas, scene);
        }
    });
    view! { <canvas class="flights" node_ref=canvas aria-hidden="true"></canvas> }
}

fn schedule(canvas: NodeRef<html::Canvas>, scene: StoredValue<Scene, LocalStorage>) {
    request_animation_frame(move || {
        // Gone with its component: the loop ends.
        let Some(el) = canvas.get_untracked() else { return };
        if scene.try_update_value(|s| draw(&el, s)).is_some() {
            schedule(canvas, scene);
        }
    });
}

fn css(el: &web_sys::HtmlCanvasElement, name: &str) -> String {
    window()
        .get_computed_style(el)
        .ok()
        .flatten()
        .and_then(|st| st.get_property_value(name).ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "#888".to_owned())
}

fn draw(el: &web_sys::HtmlCanvasElement, s: &mut Scene) {
    let now = perf_now();
    // Reduced motion: a few still pictures a second instead of gliding.
    if s.reduced && now - s.last_draw < 500.0 {
        return;
    }
    s.last_draw = now;
    let (w, h) = (f64::from(el.client_width()), f64::from(el.client_height()));
    if w < 1.0 || h < 1.0 {
        return;
    }
    let dpr = window().device_pixel_ratio().max(1.0);
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if el.width() != pw || el.height() != ph {
        el.set_width(pw);
        el.set_height(ph);
        s.palette_age = 0;
    }
    if s.palette_age == 0 {
        s.palette = Palette {
            like: css(el, "--like"),
            count: css(el, "--gossip"),
            quiet: css(el, "--quiet"),
            lost: css(el, "--bad"),
            saga: css(el, "--lag"),
        };
    }
    s.palette_age = (s.palette_age + 1) % 120;
    let Some(ctx) = el.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    // Map units to device pixels, fitted and centred the way the SVG layers
    // fit their viewBox (`xMidYMid meet`); radii are given in CSS pixels and
    // divided by `unit`, so a dot is as big on a phone as on a desktop.
    let unit = (w / MAP_W).min(h / MAP_H);
    let (ox, oy) = ((w - MAP_W * unit) / 2.0, (h - MAP_H * unit) / 2.0);
    let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, f64::from(pw), f64::from(ph));
    let _ = ctx.set_transform(dpr * unit, 0.0, 0.0, dpr * unit, dpr * ox, dpr * oy);
    let sim_now = s.anchor.at(now);
    let px = |r: f64| r / unit;
    // Quiet traffic first, so a like's dot is never hidden under gossip.
    // (Two passes rather than a sort: the same order, and no sort code.)
    let quiet = |d: &&Dot| d.look == Look::Quiet;
    for d in s.dots.iter().filter(quiet).chain(s.dots.iter().filter(|d| !quiet(d))) {
        let t = progress(sim_now, d.sent_at, d.arrive_at);
        let p = d.lane.at(t);
        let (color, core, alpha) = match d.look {
            Look::Like => (&s.palette.like, 4.5, 1.0),
            Look::Count => (&s.palette.count, 4.0, 1.0),
            Look::Saga => (&s.palette.saga, 4.0, 1.0),
            Look::Quiet => (&s.palette.quiet, 2.5, 0.8),
            // A lost message fades out along the way: it will never arrive.
            Look::Lost => (&s.palette.lost, 4.0, 1.0 - 0.85 * t),
        };
        ctx.set_fill_style_str(color);
        ctx.set_stroke_style_str(color);
        if d.look != Look::Quiet {
            // A short tail says which way it is going.
            let tail = d.lane.at((t - 0.06).max(0.0));
            ctx.set_global_alpha(0.45 * alpha);
            ctx.set_line_width(px(2.5));
            ctx.begin_path();
            ctx.move_to(tail.x, tail.y);
            ctx.line_to(p.x, p.y);
            ctx.stroke();
            ctx.set_global_alpha(0.22 * alpha);
            ctx.begin_path();
            let _ = ctx.arc(p.x, p.y, px(core * 2.0), 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
        ctx.set_global_alpha(alpha);
        ctx.begin_path();
        let _ = ctx.arc(p.x, p.y, px(core), 0.0, std::f64::consts::TAU);
        ctx.fill();
    }
    // Dropped messages: a ring that widens and fades where each one was.
    const BURST_MS: f64 = 900.0;
    s.bursts.retain(|b| now - b.since < BURST_MS);
    ctx.set_stroke_style_str(&s.palette.lost);
    ctx.set_line_width(px(2.0));
    for b in &s.bursts {
        let k = (now - b.since) / BURST_MS;
        ctx.set_global_alpha(1.0 - k);
        ctx.begin_path();
        let _ = ctx.arc(b.at.x, b.at.y, px(4.0 + 12.0 * k), 0.0, std::f64::consts::TAU);
        ctx.stroke();
    }
    ctx.set_global_alpha(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(lost: bool, news: bool, kind: MessageKind) -> PacketView {
        PacketView {
            from: RegionId::parse("tokyo").unwrap(),
            to: RegionId::parse("sydney").unwrap(),
            sent_at: 0,
            arrive_at: 100,
            kind,
            lost,
            label: String::new(),
            background: !news,
            news,
            saga: false,
        }
    }

    #[test]
    fn a_message_is_drawn_by_what_it_does() {
        assert_eq!(Look::of(&packet(false, true, MessageKind::Like)), Look::Like);
        assert_eq!(Look::of(&packet(false, true, MessageKind::State)), Look::Count);
        assert_eq!(Look::of(&packet(false, false, MessageKind::State)), Look::Quiet);
        assert_eq!(Look::of(&packet(false, false, MessageKind::Like)), Look::Quiet);
        assert_eq!(Look::of(&packet(true, false, MessageKind::Like)), Look::Lost);
        let step = PacketView { saga: true, ..packet(false, false, MessageKind::State) };
        assert_eq!(Look::of(&step), Look::Saga);
        assert_eq!(Look::of(&PacketView { lost: true, ..step }), Look::Lost);
    }
}
