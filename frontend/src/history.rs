//! The page's copy of the room's history: the events the server streams
//! (see `shared::protocol::history`), kept in a bounded window, from which
//! the timeline and the space-time diagram are drawn.
//!
//! The store is always *contiguous*: it holds every event from `from_ms`
//! on. Frames number their events, so a frame the server coalesced away
//! shows as a gap; the store then starts over from the new frame rather
//! than draw a history with a hole in it. A `seek` brings a window of its
//! own, used when the moment viewed is older than the store reaches.
//! Pure (no signals), so its rules are unit-tested natively.

use shared::kernel::Millis;
use shared::protocol::history::{HistoryChunk, HistoryEvent};
use shared::protocol::view::SimView;
use shared::region::RegionId;
use std::collections::VecDeque;

/// Most events the page keeps (a few minutes of a busy room).
pub const MAX_EVENTS: usize = 3_000;

/// Which message the pointer is on (diagram and timeline highlight it):
/// its ends, its times, and whether it is a duplicate's second copy.
pub type MsgKey = (RegionId, RegionId, Millis, Millis, bool);

/// Region counts and the truth at one moment.
pub type Counts = ([u64; RegionId::COUNT], u64);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryStore {
    pub events: VecDeque<HistoryEvent>,
    /// The store is complete from here ...
    pub from_ms: Millis,
    /// ... to here.
    pub to_ms: Millis,
    /// The counts in force at `from_ms` (the timeline starts from them).
    pub base: Option<Counts>,
    /// The number the next streamed event will have.
    next: Option<u64>,
    /// Message events the server left out to stay bounded.
    pub skipped: u64,
    /// The last seek's window.
    pub window: Option<HistoryChunk>,
}

/// Events to draw, and the span they cover.
pub struct Source<'a> {
    pub events: Box<dyn Iterator<Item = &'a HistoryEvent> + 'a>,
    pub from_ms: Millis,
    pub to_ms: Millis,
    pub base: Option<Counts>,
}

fn counts_of(view: &SimView) -> Counts {
    let mut values = [0; RegionId::COUNT];
    for r in &view.replicas {
        values[r.region.index()] = r.value;
    }
    (values, view.truth.total)
}

impl HistoryStore {
    /// Starts over from a snapshot (or after a gap): its chunk, with the
    /// frame's counts as the level where the chunk has none yet.
    pub fn reset(&mut self, chunk: Option<HistoryChunk>, view: &SimView) {
        let chunk = chunk.unwrap_or(HistoryChunk { from_ms: view.now_ms, to_ms: view.now_ms, ..Default::default() });
        let has_counts = chunk.events.iter().any(|e| matches!(e, HistoryEvent::Counts { .. }));
        self.base = (!has_counts).then(|| counts_of(view));
        self.from_ms = if has_counts { chunk.from_ms } else { view.now_ms.min(chunk.to_ms) };
        self.to_ms = chunk.to_ms.max(view.now_ms);
        self.next = Some(chunk.next());
        self.skipped = chunk.skipped;
        self.events = chunk.events.into();
        self.bound();
    }

    /// Appends a frame's chunk (or starts over if frames were skipped).
    pub fn append(&mut self, chunk: Option<HistoryChunk>, view: &SimView) {
        match chunk {
            Some(chunk) if self.next == Some(chunk.first) => {
                self.next = Some(chunk.next());
                self.skipped += chunk.skipped;
                self.to_ms = chunk.to_ms.max(view.now_ms);
                self.events.extend(chunk.events);
                self.bound();
            }
            Some(chunk) => self.reset(Some(chunk), view),
            None => self.to_ms = self.to_ms.max(view.now_ms),
        }
    }

    fn bound(&mut self) {
        while self.events.len() > MAX_EVENTS {
            if let Some(e) = self.events.pop_front() {
                if let HistoryEvent::Counts { values, truth, .. } = e {
                    self.base = Some((values, truth));
                }
                self.from_ms = e.at();
            }
        }
    }

    /// What to draw for the moment `t` (`None`: live): the store if it
    /// reaches back that far, else the seek window around `t`.
    pub fn source(&self, t: Option<Millis>) -> Source<'_> {
        match (&self.window, t) {
            (Some(w), Some(t)) if t < self.from_ms && w.from_ms <= t => {
                Source { events: Box::new(w.events.iter()), from_ms: w.from_ms, to_ms: w.to_ms, base: None }
            }
            _ => Source {
                events: Box::new(self.events.iter()),
                from_ms: self.from_ms,
                to_ms: self.to_ms,
                base: self.base,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::sim::{SimConfig, Simulation};

    fn like_at(at: Millis) -> HistoryEvent {
        HistoryEvent::Like { region: RegionId::parse("tokyo").unwrap(), at, ok: true }
    }

    fn chunk(first: u64, ats: &[Millis]) -> HistoryChunk {
        HistoryChunk {
            first,
            events: ats.iter().map(|&a| like_at(a)).collect(),
            skipped: 0,
            from_ms: ats.first().copied().unwrap_or(0),
            to_ms: ats.last().copied().unwrap_or(0),
        }
    }

    #[test]
    fn consecutive_chunks_append_and_a_gap_starts_over() {
        let view = Simulation::new(SimConfig::default()).view();
        let mut h = HistoryStore::default();
        h.reset(Some(chunk(10, &[1, 2])), &view);
        assert_eq!(h.base, Some(([0; RegionId::COUNT], 0)), "no counts in the chunk: the frame's are the level");
        h.append(Some(chunk(12, &[3])), &view);
        assert_eq!(h.events.len(), 3);
        // Event 13 never came: start over from 20 rather than draw a hole.
        h.append(Some(chunk(20, &[50, 60])), &view);
        assert_eq!(h.events.len(), 2);
        assert_eq!(h.from_ms, view.now_ms.min(60));
    }

    #[test]
    fn the_store_is_bounded_and_remembers_where_it_starts() {
        let view = Simulation::new(SimConfig::default()).view();
        let mut h = HistoryStore::default();
        h.reset(Some(chunk(0, &[0])), &view);
        let many: Vec<Millis> = (1..=(MAX_EVENTS as Millis + 10)).collect();
        h.append(Some(chunk(1, &many)), &view);
        assert_eq!(h.events.len(), MAX_EVENTS);
        assert_eq!(h.from_ms, 10, "complete from the last event it let go");
    }

    #[test]
    fn an_old_moment_is_drawn_from_the_seek_window() {
        let view = Simulation::new(SimConfig::default()).view();
        let mut h = HistoryStore::default();
        h.reset(Some(chunk(0, &[5_000, 6_000])), &view);
        h.from_ms = 5_000;
        h.window = Some(chunk(0, &[100, 200, 300]));
        assert_eq!(h.source(Some(150)).events.count(), 3);
        assert_eq!(h.source(Some(5_500)).events.count(), 2);
        assert_eq!(h.source(None).events.count(), 2);
    }
}
