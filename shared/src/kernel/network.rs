//! The simulated network between regions: per-link conditions, what each
//! message costs, and which messages are in flight.
//!
//! A real wide-area network delays, drops, duplicates and reorders packets,
//! and sometimes splits in two. Every replication strategy is judged by how it
//! copes with that, so the network is a first-class part of the simulation
//! rather than a constant delay. It does not deliver anything itself: `send`
//! decides *when* (and whether) a message arrives and puts it on the
//! [`Agenda`](super::agenda::Agenda); the simulation delivers it when the
//! clock gets there.

use super::agenda::{Agenda, Envelope, Event};
use super::{Cause, Message, Millis};
use crate::region::{LatencyMatrix, RegionId};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The conditions of one directed link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkConditions {
    /// Base one-way delay in simulated milliseconds.
    pub latency_ms: u32,
    /// Extra random delay, uniform in `0..=jitter_ms`. Jitter is what makes
    /// two messages on the same link overtake each other (reordering).
    pub jitter_ms: u32,
    /// Probability in `0.0..=1.0` that a message is silently lost.
    pub loss: f64,
    /// Probability in `0.0..=1.0` that a message is delivered twice.
    pub duplicate: f64,
    /// A cut link (a partition) drops everything sent over it.
    pub cut: bool,
}

impl LinkConditions {
    /// A healthy link with the given delay and a little natural jitter.
    pub fn healthy(latency_ms: u32) -> Self {
        LinkConditions { latency_ms, jitter_ms: latency_ms / 10, loss: 0.0, duplicate: 0.0, cut: false }
    }
}

/// The room-wide network that `set_all_links` changes. Every link follows
/// it over its own base delay, except the links that were given conditions
/// of their own with `set_link` (until `reset_link`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RoomLinks {
    pub loss: f64,
    pub duplicate: f64,
    /// `None`: every link keeps its natural jitter, a tenth of its delay
    /// (long links wobble more than short ones, as real ones do).
    pub jitter_ms: Option<u32>,
}

impl RoomLinks {
    /// The conditions of a link with base delay `latency_ms` that follows
    /// the room-wide settings (never cut: cuts are per link).
    pub fn link(&self, latency_ms: u32) -> LinkConditions {
        let healthy = LinkConditions::healthy(latency_ms);
        LinkConditions {
            jitter_ms: self.jitter_ms.unwrap_or(healthy.jitter_ms),
            loss: self.loss,
            duplicate: self.duplicate,
            ..healthy
        }
    }
}

/// Running totals of what the network carried: the *cost* side of a strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetStats {
    /// Messages handed to the network (a duplicate is not counted twice).
    pub messages: u64,
    /// Estimated bytes of those messages (see [`Message::wire_bytes`]).
    pub bytes: u64,
    /// Of `messages`, those sent because of a like ([`Cause::Like`]).
    pub like_messages: u64,
    /// Of `bytes`, those sent because of a like.
    pub like_bytes: u64,
    /// Messages lost, or sent into a cut link.
    pub dropped: u64,
    /// Extra copies the network created.
    pub duplicated: u64,
}

/// All links, plus bookkeeping of what is currently in flight on each.
#[derive(Debug, Clone)]
pub struct Network {
    links: Vec<LinkConditions>,
    in_flight: Vec<u32>,
    stats: NetStats,
}

fn slot(from: RegionId, to: RegionId) -> usize {
    from.index() * RegionId::COUNT + to.index()
}

impl Network {
    /// Healthy links with the given base delays.
    pub fn new(latency: &LatencyMatrix) -> Self {
        let links = RegionId::all()
            .flat_map(|a| RegionId::all().map(move |b| (a, b)))
            .map(|(a, b)| LinkConditions::healthy(latency.get(a, b)))
            .collect();
        Network { links, in_flight: vec![0; RegionId::COUNT * RegionId::COUNT], stats: NetStats::default() }
    }

    pub fn link(&self, from: RegionId, to: RegionId) -> &LinkConditions {
        &self.links[slot(from, to)]
    }

    pub fn link_mut(&mut self, from: RegionId, to: RegionId) -> &mut LinkConditions {
        &mut self.links[slot(from, to)]
    }

    /// Messages currently travelling from `from` to `to`.
    pub fn in_flight(&self, from: RegionId, to: RegionId) -> u32 {
        self.in_flight[slot(from, to)]
    }

    pub fn total_in_flight(&self) -> u32 {
        self.in_flight.iter().sum()
    }

    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// Hands `msg` to the link `from -> to` at time `now`: rolls for loss,
    /// duplication and jitter, and schedules the arrival(s) on the agenda.
    /// Returns whether the message left on the wire (not cut, not lost, and
    /// `to` is not down).
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        agenda: &mut Agenda,
        rng: &mut ChaCha8Rng,
        now: Millis,
        from: RegionId,
        to: RegionId,
        msg: Message,
        cause: Cause,
        to_down: bool,
    ) -> bool {
        debug_assert_ne!(from, to, "a region does not message itself");
        let link = self.links[slot(from, to)].clone();
        let bytes = u64::from(msg.wire_bytes());
        self.stats.messages += 1;
        self.stats.bytes += bytes;
        if cause == Cause::Like {
            self.stats.like_messages += 1;
            self.stats.like_bytes += bytes;
        }
        // A cut link, or a region that is down (the connection is refused),
        // drops the message at once.
        if link.cut || to_down {
            self.stats.dropped += 1;
            return false;
        }
        // A lost message still travels (so the UI can show it vanish) but is
        // marked, and the simulation discards it on arrival.
        let lost = roll(rng, link.loss);
        if lost {
            self.stats.dropped += 1;
        }
        let copies = if !lost && roll(rng, link.duplicate) { 2 } else { 1 };
        self.stats.duplicated += copies - 1;
        for copy in 0..copies {
            let jitter = if link.jitter_ms > 0 { rng.random_range(0..=link.jitter_ms) } else { 0 };
            let arrive_at = now + Millis::from(link.latency_ms) + Millis::from(jitter);
            self.in_flight[slot(from, to)] += 1;
            agenda.push(
                arrive_at,
                Event::Deliver(Envelope {
                    from,
                    to,
                    sent_at: now,
                    arrive_at,
                    lost,
                    cause,
                    msg: msg.clone(),
                    dup: copy == 1,
                }),
            );
        }
        !lost
    }

    /// Counts a message dropped at its destination (e.g. a crashed region).
    pub(crate) fn count_dropped(&mut self) {
        self.stats.dropped += 1;
    }

    /// Forgets every message in flight (their events were dropped).
    pub fn clear_in_flight(&mut self) {
        self.in_flight.iter_mut().for_each(|n| *n = 0);
    }

    /// Starts counting costs afresh (a new strategy is priced on its own).
    pub fn reset_stats(&mut self) {
        self.stats = NetStats::default();
    }

    /// Replaces the conditions of the link `from -> to`.
    pub fn set_link(&mut self, from: RegionId, to: RegionId, conditions: LinkConditions) {
        self.links[slot(from, to)] = conditions;
    }

    /// Called when a message leaves the wire (delivered or discarded).
    /// Returns whether it should be delivered: not lost, and the link was not
    /// cut while it travelled.
    pub fn arrive(&mut self, envelope: &Envelope) -> bool {
        let s = slot(envelope.from, envelope.to);
        self.in_flight[s] = self.in_flight[s].saturating_sub(1);
        if envelope.lost {
            return false;
        }
        if self.links[s].cut {
            self.stats.dropped += 1;
            return false;
        }
        true
    }
}

fn roll(rng: &mut ChaCha8Rng, p: f64) -> bool {
    p > 0.0 && rng.random::<f64>() < p
}
