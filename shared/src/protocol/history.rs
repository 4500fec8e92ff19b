//! The room's history as a stream of events, so a browser can draw the
//! timeline and the space-time diagram without re-downloading the past.
//!
//! Frames carry the whole *present* (see [`super::view`]); what happened in
//! between — which message went where, when it left and landed, when a
//! count changed — is gone from the next frame. So each frame also carries
//! the events since the previous one ([`HistoryChunk`]), the snapshot a
//! short recent window, and a `past` answer a window around the moment it
//! shows. The browser appends and keeps a bounded window of its own.
//!
//! Everything here is bounded: the simulation's recorder holds at most
//! [`MAX_BUFFERED_EVENTS`] between two frames, a chunk at most
//! [`MAX_EVENTS_PER_FRAME`] (message events are the first to go, and the
//! chunk says how many it left out), so a flood of likes cannot turn frames
//! into megabytes. Counts and markers are few and always kept when they fit.
//!
//! On the wire the keys are short, as for packets (a room sends up to 30
//! frames a second to every viewer):
//! ```
//! # use shared::protocol::history::*;
//! let e: HistoryEvent = serde_json::from_str(
//!     r#"{"e":"msg","f":"tokyo","t":"sydney","s":1000,"a":1700,"l":"like","c":true,"m":true}"#).unwrap();
//! let HistoryEvent::Msg(m) = e else { panic!() };
//! assert_eq!((m.sent_at, m.end_at, m.fate), (1000, 1700, Fate::Delivered));
//! ```

use crate::kernel::Millis;
use crate::region::RegionId;
use serde::{Deserialize, Serialize};

/// Most events one frame carries; the rest are counted in `skipped`.
pub const MAX_EVENTS_PER_FRAME: usize = 256;

/// Most events the simulation buffers between two drains (a seek window
/// is one drain); past it, message events are counted and dropped.
pub const MAX_BUFFERED_EVENTS: usize = 8_192;

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// It reached its destination, which took it.
    Delivered,
    /// The network lost it, a cut dropped it on the wire, or its
    /// destination was down when it arrived: it vanished at `end_at`.
    Lost,
    /// It never left: the link was cut or the destination down at send
    /// time (`end_at == sent_at`).
    Refused,
}

/// One message, recorded when its story ends (delivered or lost), with
/// both ends: everything an arrow on the space-time diagram needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsgEvent {
    #[serde(rename = "f")]
    pub from: RegionId,
    #[serde(rename = "t")]
    pub to: RegionId,
    #[serde(rename = "s")]
    pub sent_at: Millis,
    /// When it landed or vanished.
    #[serde(rename = "a")]
    pub end_at: Millis,
    /// The message type ("like", "ack", "state", ...).
    #[serde(rename = "l")]
    pub label: String,
    /// A like's own traffic (the push, its ack, a forward ...), not
    /// background gossip.
    #[serde(rename = "c", default, skip_serializing_if = "is_false")]
    pub like: bool,
    #[serde(rename = "x", default = "delivered", skip_serializing_if = "is_delivered")]
    pub fate: Fate,
    /// The second copy of a message the network duplicated.
    #[serde(rename = "d", default, skip_serializing_if = "is_false")]
    pub dup: bool,
    /// Delivering it changed the receiver's count (a merge).
    #[serde(rename = "m", default, skip_serializing_if = "is_false")]
    pub merged: bool,
    /// A saga's message (a request, a reply, super likes on their way),
    /// not replication traffic.
    #[serde(rename = "g", default, skip_serializing_if = "is_false")]
    pub saga: bool,
}

/// Something that changed the network or the room, drawn as a marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    Cut,
    Heal,
    Isolate,
    HealAll,
    Crash,
    Restart,
    /// A strategy switch.
    Switch,
    /// A link's or the room's loss, duplication, delay or jitter changed.
    Links,
    Durable,
    /// The room's data type of a like changed (claps, add-wins, remove-wins).
    DataType,
    /// The read model's rebuild interval changed.
    ReadModel,
    /// The author's payouts were closed or opened.
    Payouts,
}

/// One event of a room's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "e", rename_all = "snake_case")]
pub enum HistoryEvent {
    Msg(MsgEvent),
    /// A like clicked in `region`; `ok` false when it was refused.
    Like {
        #[serde(rename = "r")]
        region: RegionId,
        at: Millis,
        ok: bool,
    },
    /// Every region's count (catalog order) and the ground truth (likes
    /// acknowledged) from `at` on; recorded whenever one of them changes.
    Counts {
        at: Millis,
        #[serde(rename = "v")]
        values: [u64; RegionId::COUNT],
        truth: u64,
    },
    /// A marker: a cut, a heal, a crash, a switch ... `a` and `b` are the
    /// regions it names, if any.
    Mark {
        at: Millis,
        what: MarkKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        a: Option<RegionId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        b: Option<RegionId>,
    },
    /// Every region's count of super likes (catalog order) from `at` on;
    /// recorded whenever one changes.
    SuperLikes {
        at: Millis,
        #[serde(rename = "v")]
        values: [u64; RegionId::COUNT],
    },
    /// At `at`, the super like of saga `saga` was taken back (compensated)
    /// after a region first showed it at `seen_at`: the timeline marks
    /// `seen_at`, the moment everyone could see what did not last.
    TakenBack {
        at: Millis,
        seen_at: Millis,
        saga: u64,
    },
}

impl HistoryEvent {
    /// When it happened (a message: when its story ended).
    pub fn at(&self) -> Millis {
        match self {
            HistoryEvent::Msg(m) => m.end_at,
            HistoryEvent::Like { at, .. }
            | HistoryEvent::Counts { at, .. }
            | HistoryEvent::Mark { at, .. }
            | HistoryEvent::SuperLikes { at, .. }
            | HistoryEvent::TakenBack { at, .. } => *at,
        }
    }
}

/// A run of consecutive events of a room's history.
///
/// In a frame: the events since the previous frame, numbered from `first`
/// in the room's own count, so a viewer that skipped a frame (the server
/// coalesces frames for slow viewers) sees the gap. In a snapshot: the
/// room's recent events. In a `past` answer: a window around the moment,
/// replayed (`first` is then 0 and means nothing).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryChunk {
    /// The number of the first event in the room's stream.
    pub first: u64,
    pub events: Vec<HistoryEvent>,
    /// Events left out to keep the chunk bounded (messages first).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped: u64,
    /// Covers the room's history from this simulated time ...
    pub from_ms: Millis,
    /// ... up to this one.
    pub to_ms: Millis,
}

impl HistoryChunk {
    /// The number the event after this chunk will have.
    pub fn next(&self) -> u64 {
        self.first + self.events.len() as u64 + self.skipped
    }
}

/// The simulation's recorder: events since the last drain, bounded.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    events: Vec<HistoryEvent>,
    /// Events dropped since the last drain because the buffer was full.
    dropped: u64,
    /// The counts last recorded, to record only changes.
    last_counts: Option<([u64; RegionId::COUNT], u64)>,
}

impl Recorder {
    pub fn push(&mut self, event: HistoryEvent) {
        // Past the bound, keep what the timeline needs (counts, marks,
        // likes: a few per input) and drop messages, which are many.
        let full = self.events.len() >= MAX_BUFFERED_EVENTS;
        if full && (matches!(event, HistoryEvent::Msg(_)) || self.events.len() >= 2 * MAX_BUFFERED_EVENTS) {
            self.dropped += 1;
        } else {
            self.events.push(event);
        }
    }

    /// Records the counts at `at` if they differ from the last recorded.
    pub fn counts(&mut self, at: Millis, values: [u64; RegionId::COUNT], truth: u64) {
        if self.last_counts != Some((values, truth)) {
            self.last_counts = Some((values, truth));
            self.push(HistoryEvent::Counts { at, values, truth });
        }
    }

    /// Takes every event buffered (and how many were dropped).
    pub fn drain(&mut self) -> (Vec<HistoryEvent>, u64) {
        (std::mem::take(&mut self.events), std::mem::take(&mut self.dropped))
    }

    /// Forgets the buffer but not the last counts (a checkpoint's clone
    /// starts a fresh window with them re-recorded on the next change).
    pub fn clear(&mut self) {
        self.events.clear();
        self.dropped = 0;
        self.last_counts = None;
    }
}

/// Cuts `events` down to at most `cap`, dropping message events first
/// (oldest kept: they come first in time), and returns how many it dropped.
pub fn bound(events: &mut Vec<HistoryEvent>, cap: usize) -> u64 {
    if events.len() <= cap {
        return 0;
    }
    let before = events.len();
    let others = events.iter().filter(|e| !matches!(e, HistoryEvent::Msg(_))).count();
    let mut msgs_left = cap.saturating_sub(others);
    events.retain(|e| match e {
        HistoryEvent::Msg(_) if msgs_left > 0 => {
            msgs_left -= 1;
            true
        }
        HistoryEvent::Msg(_) => false,
        _ => true,
    });
    // Still too many without any message: keep the most recent.
    if events.len() > cap {
        events.drain(..events.len() - cap);
    }
    (before - events.len()) as u64
}

/// Drops every `counts` event followed within `within_ms` by another one
/// (which supersedes it), so a burst of deliveries costs one step of the
/// timeline per `within_ms`, not one per delivery. The last counts always
/// stay. Returns how many it dropped.
pub fn thin_counts(events: &mut Vec<HistoryEvent>, within_ms: Millis) -> usize {
    let before = events.len();
    let mut next_counts_at: Option<Millis> = None;
    let mut keep = vec![true; events.len()];
    for (i, e) in events.iter().enumerate().rev() {
        if let HistoryEvent::Counts { at, .. } = e {
            if next_counts_at.is_some_and(|n| n.saturating_sub(*at) < within_ms) {
                keep[i] = false;
            } else {
                next_counts_at = Some(*at);
            }
        }
    }
    let mut i = 0;
    events.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    before - events.len()
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn delivered() -> Fate {
    Fate::Delivered
}

fn is_delivered(f: &Fate) -> bool {
    *f == Fate::Delivered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    fn msg(fate: Fate, dup: bool) -> HistoryEvent {
        HistoryEvent::Msg(MsgEvent {
            from: r("tokyo"),
            to: r("virginia"),
            sent_at: 10,
            end_at: 1200,
            label: "like".into(),
            like: true,
            fate,
            dup,
            merged: fate == Fate::Delivered,
            saga: false,
        })
    }

    #[test]
    fn every_event_round_trips_through_json() {
        let chunk = HistoryChunk {
            first: 40,
            events: vec![
                msg(Fate::Delivered, false),
                msg(Fate::Lost, true),
                msg(Fate::Refused, false),
                HistoryEvent::Like { region: r("tokyo"), at: 5, ok: true },
                HistoryEvent::Counts { at: 7, values: [1, 0, 0, 0, 0, 2], truth: 3 },
                HistoryEvent::Mark { at: 9, what: MarkKind::Cut, a: Some(r("tokyo")), b: Some(r("sydney")) },
                HistoryEvent::Mark { at: 9, what: MarkKind::HealAll, a: None, b: None },
            ],
            skipped: 3,
            from_ms: 0,
            to_ms: 1200,
        };
        let json = serde_json::to_string(&chunk).unwrap();
        let back: HistoryChunk = serde_json::from_str(&json).unwrap();
        assert_eq!(back, chunk);
        assert_eq!(back.next(), 40 + 7 + 3);
        // The common case stays short: no fate, dup or skipped keys.
        let plain = serde_json::to_string(&msg(Fate::Delivered, false)).unwrap();
        assert!(!plain.contains("\"x\"") && !plain.contains("\"d\""), "{plain}");
        assert!(serde_json::to_string(&msg(Fate::Lost, false)).unwrap().contains(r#""x":"lost""#));
    }

    #[test]
    fn bounding_drops_messages_first_and_counts_them() {
        let mut events: Vec<HistoryEvent> = (0..10).map(|_| msg(Fate::Delivered, false)).collect();
        events.push(HistoryEvent::Counts { at: 1, values: [0; RegionId::COUNT], truth: 0 });
        events.push(HistoryEvent::Like { region: r("tokyo"), at: 2, ok: true });
        assert_eq!(bound(&mut events, 5), 7);
        assert_eq!(events.len(), 5);
        assert_eq!(events.iter().filter(|e| !matches!(e, HistoryEvent::Msg(_))).count(), 2);
        let mut few = vec![msg(Fate::Lost, false)];
        assert_eq!(bound(&mut few, 5), 0);
    }

    #[test]
    fn counts_are_thinned_to_one_per_interval_and_the_last_stays() {
        let counts = |at, n| HistoryEvent::Counts { at, values: [n; RegionId::COUNT], truth: n };
        let mut events = vec![counts(0, 1), counts(10, 2), msg(Fate::Lost, false), counts(40, 3), counts(200, 4)];
        assert_eq!(thin_counts(&mut events, 50), 2);
        assert_eq!(events, vec![msg(Fate::Lost, false), counts(40, 3), counts(200, 4)]);
    }

    #[test]
    fn the_recorder_is_bounded_and_records_only_count_changes() {
        let mut rec = Recorder::default();
        rec.counts(0, [0; RegionId::COUNT], 0);
        rec.counts(5, [0; RegionId::COUNT], 0);
        rec.counts(6, [1, 0, 0, 0, 0, 0], 1);
        assert_eq!(rec.drain().0.len(), 2);
        for _ in 0..MAX_BUFFERED_EVENTS + 10 {
            rec.push(msg(Fate::Delivered, false));
        }
        rec.push(HistoryEvent::Like { region: r("tokyo"), at: 2, ok: true });
        let (events, dropped) = rec.drain();
        assert_eq!((events.len(), dropped), (MAX_BUFFERED_EVENTS + 1, 10));
        assert!(matches!(events.last(), Some(HistoryEvent::Like { .. })), "a like is kept past the bound");
    }
}
