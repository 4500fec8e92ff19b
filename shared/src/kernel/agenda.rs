//! The agenda: everything that will happen in the simulation, ordered by time.
//!
//! Message arrivals and strategy timers live in one priority queue. The
//! simulation pops whatever is due, in order, so a run is a pure function of
//! its inputs: the same likes at the same times with the same seed always
//! produce the same history. Ties are broken by insertion order, never by
//! anything the platform decides.

use super::{Cause, Message, Millis, Timer};
use crate::region::RegionId;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A message on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub from: RegionId,
    pub to: RegionId,
    pub sent_at: Millis,
    pub arrive_at: Millis,
    /// The network lost it; it is discarded on arrival.
    pub lost: bool,
    /// Sent because of a like, or as background work.
    pub cause: Cause,
    pub msg: Message,
    /// The second copy of a message the network duplicated (for drawing).
    pub dup: bool,
}

/// A saga's message on the wire: a request from an orchestrator to a
/// service, a service's reply, or the Likes service's super likes on their
/// way to a region (see [`crate::sim::sagas`]). It travels the same links
/// as replication messages, under the same delay, loss, duplication, cuts
/// and crashes, but belongs to no replication strategy: a strategy switch
/// leaves it on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaEnvelope {
    pub from: RegionId,
    pub to: RegionId,
    pub sent_at: Millis,
    pub arrive_at: Millis,
    pub lost: bool,
    pub dup: bool,
    pub msg: crate::saga::Wire,
}

/// Something scheduled to happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message reaches its destination.
    Deliver(Envelope),
    /// A strategy's timer fires at a region (a sync round, a retry, ...).
    /// `epoch` is the region's crash count when the timer was set: a timer
    /// from before a crash is stale and ignored.
    Timer { region: RegionId, timer: Timer, epoch: u32 },
    /// A saga message reaches its destination.
    Saga(Box<SagaEnvelope>),
    /// A region's saga work comes due: re-send unanswered requests, time
    /// out steps, re-send super likes not yet acknowledged. Stale after a
    /// crash, like a strategy timer.
    SagaTick { region: RegionId, epoch: u32 },
}

impl Event {
    /// Whether it belongs to the sagas rather than to the strategy.
    fn is_saga(&self) -> bool {
        matches!(self, Event::Saga(_) | Event::SagaTick { .. })
    }
}

/// A heap entry: when, in what order, and where the event is kept. The
/// events themselves stay put in a slab, so the heap moves 24-byte keys
/// instead of whole messages (a busy room pushes and pops thousands).
#[derive(Debug, Clone, Copy)]
struct Key {
    at: Millis,
    seq: u64,
    slot: usize,
}

// BinaryHeap is a max-heap; order by (at, seq) reversed to pop the earliest.
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Key {}

#[derive(Debug, Clone, Default)]
pub struct Agenda {
    heap: BinaryHeap<Key>,
    /// The events, by slot; `None` where a slot is free.
    slots: Vec<Option<Event>>,
    free: Vec<usize>,
    next_seq: u64,
}

impl Agenda {
    pub fn push(&mut self, at: Millis, event: Event) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                self.slots.len() - 1
            }
        };
        self.heap.push(Key { at, seq: self.next_seq, slot });
        self.next_seq += 1;
    }

    /// When the next event is due, if any.
    pub fn next_at(&self) -> Option<Millis> {
        self.heap.peek().map(|k| k.at)
    }

    /// Removes and returns the earliest event if it is due at or before `now`.
    pub fn pop_due(&mut self, now: Millis) -> Option<(Millis, Event)> {
        if self.next_at()? > now {
            return None;
        }
        let key = self.heap.pop()?;
        let event = self.slots[key.slot].take()?;
        self.free.push(key.slot);
        Some((key.at, event))
    }

    /// Messages on the wire, in no particular order.
    pub fn envelopes(&self) -> impl Iterator<Item = &Envelope> {
        self.slots.iter().filter_map(|s| match s {
            Some(Event::Deliver(e)) => Some(e),
            _ => None,
        })
    }

    /// Marks every message still travelling to `region` as lost: a region
    /// that crashes drops whatever was on its way to it.
    pub fn lose_inbound(&mut self, region: RegionId) {
        self.lose_where(|_, to| to == region);
    }

    /// Marks every message still travelling over `from -> to` as lost: a
    /// cut drops what is on the wire, even if the link heals before it would
    /// have landed.
    pub fn lose_on_link(&mut self, from: RegionId, to: RegionId) {
        self.lose_where(|f, t| f == from && t == to);
    }

    fn lose_where(&mut self, hit: impl Fn(RegionId, RegionId) -> bool) {
        for slot in &mut self.slots {
            match slot {
                Some(Event::Deliver(e)) if hit(e.from, e.to) => e.lost = true,
                Some(Event::Saga(e)) if hit(e.from, e.to) => e.lost = true,
                _ => {}
            }
        }
    }

    /// Saga messages on the wire, in no particular order.
    pub fn saga_envelopes(&self) -> impl Iterator<Item = &SagaEnvelope> {
        self.slots.iter().filter_map(|s| match s {
            Some(Event::Saga(e)) => Some(&**e),
            _ => None,
        })
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every scheduled event of the strategy (used when a room
    /// switches strategy or data type); the sagas' events stay, in order.
    pub fn clear(&mut self) {
        let mut keys: Vec<Key> = std::mem::take(&mut self.heap).into_vec();
        keys.sort_by(|a, b| b.cmp(a));
        let kept: Vec<(Millis, Event)> = keys
            .into_iter()
            .filter_map(|k| self.slots[k.slot].take().map(|e| (k.at, e)))
            .filter(|(_, e)| e.is_saga())
            .collect();
        self.slots.clear();
        self.free.clear();
        for (at, event) in kept {
            self.push(at, event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_then_insertion_order() {
        let r = RegionId::from_index(0).unwrap();
        let mut a = Agenda::default();
        for (at, t) in [(30, Timer::AntiEntropy), (10, Timer::AntiEntropy), (10, Timer::AntiEntropy)] {
            a.push(at, Event::Timer { region: r, timer: t, epoch: 0 });
        }
        assert_eq!(a.pop_due(5), None);
        let order: Vec<_> = std::iter::from_fn(|| a.pop_due(100)).map(|(at, _)| at).collect();
        assert_eq!(order, vec![10, 10, 30]);
        assert!(a.is_empty());
    }
}
