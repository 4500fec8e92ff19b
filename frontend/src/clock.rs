//! Time on the page: a per-animation-frame tick, and from it an estimate of
//! the room's simulated clock between frames.
//!
//! Frames arrive at most ~30 times a second and only when something changed,
//! but a message crossing the map should glide, and a "diverged for 1.2 s"
//! timer should tick. Both come from one estimate: the simulated time in the
//! latest frame plus the local time elapsed since it arrived. It is only an
//! estimate, so everything drawn from it is clamped to what the frame says
//! (a dot waits at its destination until a frame confirms it landed).

use crate::app::Conn;
use crate::connection::{Received, Status};
use leptos::prelude::*;

/// Milliseconds since the page loaded, from the monotonic
/// `performance.now()` (wall clocks can jump; this cannot).
pub fn perf_now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// A signal holding [`perf_now`], refreshed on every animation frame for as
/// long as the calling component lives. Browsers pause animation frames in
/// background tabs, so a hidden page costs nothing.
pub fn animation_clock() -> ReadSignal<f64> {
    let (now, set_now) = signal(perf_now());
    schedule(set_now);
    now
}

fn schedule(set_now: WriteSignal<f64>) {
    request_animation_frame(move || {
        // `try_update` fails once the owner is disposed: that ends the loop.
        if set_now.try_update(|t| *t = perf_now()).is_some() {
            schedule(set_now);
        }
    });
}

/// The estimated simulated time now, in simulated ms.
///
/// While the connection is down, or the room is paused, the clock stops at
/// the last frame: showing time passing for a room we cannot see (or that
/// stands still) would be a guess presented as fact. The room's speed
/// scales the estimate.
pub fn sim_clock(conn: Conn, tick: ReadSignal<f64>) -> Signal<f64> {
    Signal::derive(move || {
        let live = conn.status.get() == Status::Live;
        conn.frame.with(|received| match received {
            Some(r) => Anchor::of(r, live).at(tick.get()),
            None => 0.0,
        })
    })
}

/// What the estimate of the simulated clock hangs on: the latest frame's
/// simulated time, the local time it arrived, and how fast the room's
/// clock runs (0 while paused or not live). Plain data, so the map's
/// animation loop can keep one and extrapolate without any signal.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Anchor {
    pub sim_ms: f64,
    pub received_at: f64,
    pub rate: f64,
}

impl Anchor {
    pub fn of(r: &Received, live: bool) -> Anchor {
        // A paused room's clock stands still; a sped-up one runs faster.
        let rate = if live && !r.frame.time.paused { r.frame.time.speed.max(0.0) } else { 0.0 };
        Anchor { sim_ms: r.frame.sim.now_ms as f64, received_at: r.at, rate }
    }

    /// The estimated simulated time at local time `perf` (ms).
    pub fn at(&self, perf: f64) -> f64 {
        self.sim_ms + (perf - self.received_at).max(0.0) * self.rate
    }
}
