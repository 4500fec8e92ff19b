//! The grow-only counter (G-Counter): the conflict-free replicated data type
//! at the heart of a replicated like counter.
//!
//! # The problem it solves
//! Two regions accept a like at the same moment. Each now holds "101". If they
//! simply overwrite each other with their totals, both end on 101 and one like
//! is gone forever (that is *last writer wins*, and a later issue shows it
//! losing likes). Adding the other's total instead double counts the 100
//! likes they already shared.
//!
//! # The trick
//! Do not replicate the total. Replicate *who contributed what*: each replica
//! keeps one slot per region, and only region `r` ever increments slot `r`.
//! The total is the sum of the slots. When two replicas meet, they merge
//! slot by slot with `max`: since a slot only grows and has a single writer,
//! the larger number is simply the newer one, so nothing is lost and nothing
//! is counted twice.
//!
//! `max` is commutative, associative and idempotent, so replicas can exchange
//! state in any order, any number of times, over any path, and still end equal
//! once they have seen the same updates. That is *strong eventual consistency*,
//! and the property tests at the bottom of this file check exactly those laws.
//!
//! # Why hand-written and not the `crdts` crate
//! `crdts::GCounter` is generic over actor ids and keyed by a `BTreeMap`; here
//! the actors are a small fixed catalog of regions, so a dense array indexed by
//! [`RegionId`] is simpler, smaller on the wire, and — since this crate is
//! meant to be read — the whole idea fits on one screen.

use crate::region::RegionId;
use serde::{Deserialize, Serialize};

/// One slot per region; slot `r` counts the likes accepted by region `r`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GCounter {
    /// A fixed array, not a `Vec`: six numbers are copied, never allocated
    /// (gossip clones whole counters all the time).
    slots: [u64; RegionId::COUNT],
}

impl Default for GCounter {
    fn default() -> Self {
        GCounter::new()
    }
}

impl GCounter {
    /// A counter at zero, with a slot for every region in the catalog.
    pub fn new() -> Self {
        GCounter { slots: [0; RegionId::COUNT] }
    }

    /// Builds a counter from explicit slots (missing slots are zero, extra
    /// slots ignored), mainly for tests and for decoding.
    pub fn from_slots(slots: impl IntoIterator<Item = u64>) -> Self {
        let mut c = GCounter::new();
        for (slot, v) in c.slots.iter_mut().zip(slots) {
            *slot = v;
        }
        c
    }

    /// A local like at `region`: only `region` may call this on its own slot.
    /// Returns the slot's new value, which doubles as the like's sequence
    /// number at its origin (1, 2, 3, ... with no gaps).
    pub fn increment(&mut self, region: RegionId) -> u64 {
        let slot = &mut self.slots[region.index()];
        *slot += 1;
        *slot
    }

    /// Learns that `origin` has accepted at least `count` likes.
    ///
    /// This is the merge of a single slot, and it is what makes an event
    /// "like #k from Tokyo" safe to apply exactly once: if we already know of
    /// `k` or more likes from Tokyo, the event is a duplicate and changes
    /// nothing. Returns how many likes this call newly revealed.
    pub fn observe(&mut self, origin: RegionId, count: u64) -> u64 {
        let slot = &mut self.slots[origin.index()];
        let gained = count.saturating_sub(*slot);
        *slot = (*slot).max(count);
        gained
    }

    /// Adds `n` to a slot unconditionally. This is *not* a CRDT operation: it
    /// exists to model a naive replica that trusts every event it receives,
    /// which over-counts when the network duplicates messages.
    pub fn add_unchecked(&mut self, origin: RegionId, n: u64) {
        self.slots[origin.index()] += n;
    }

    /// Merges another replica's state into this one: pointwise max.
    /// Returns how many likes the merge newly revealed.
    pub fn merge(&mut self, other: &GCounter) -> u64 {
        RegionId::all().map(|r| self.observe(r, other.get(r))).sum()
    }

    /// The slots of `self` that are ahead of `known`, as (region, count)
    /// pairs: the *delta* a peer that already has `known` needs.
    pub fn delta_since(&self, known: &GCounter) -> Vec<(RegionId, u64)> {
        RegionId::all().filter(|&r| self.get(r) > known.get(r)).map(|r| (r, self.get(r))).collect()
    }

    /// The number of likes accepted by `region` that this replica knows of.
    pub fn get(&self, region: RegionId) -> u64 {
        self.slots.get(region.index()).copied().unwrap_or(0)
    }

    /// The like count this replica shows: the sum of all slots.
    pub fn value(&self) -> u64 {
        self.slots.iter().sum()
    }

    /// The slots, in catalog order.
    pub fn slots(&self) -> &[u64] {
        &self.slots
    }

    /// The partial order of the lattice: `self` has seen everything `other` has.
    pub fn dominates(&self, other: &GCounter) -> bool {
        RegionId::all().all(|r| self.get(r) >= other.get(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counter() -> impl Strategy<Value = GCounter> {
        proptest::collection::vec(0u64..1_000, RegionId::COUNT).prop_map(GCounter::from_slots)
    }

    fn merged(a: &GCounter, b: &GCounter) -> GCounter {
        let mut m = a.clone();
        m.merge(b);
        m
    }

    #[test]
    fn concurrent_likes_are_both_kept() {
        let tokyo = RegionId::parse("tokyo").unwrap();
        let virginia = RegionId::parse("virginia").unwrap();
        let mut a = GCounter::from_slots([100, 0, 0, 0, 0, 0]);
        let mut b = a.clone();
        a.increment(tokyo);
        b.increment(virginia);
        assert_eq!((a.value(), b.value()), (101, 101));
        a.merge(&b.clone());
        b.merge(&a.clone());
        assert_eq!(a, b);
        assert_eq!(a.value(), 102, "neither like is lost, nothing is double counted");
    }

    #[test]
    fn observe_applies_an_event_exactly_once() {
        let tokyo = RegionId::parse("tokyo").unwrap();
        let mut c = GCounter::new();
        assert_eq!(c.observe(tokyo, 1), 1);
        assert_eq!(c.observe(tokyo, 1), 0, "a duplicate changes nothing");
        assert_eq!(c.observe(tokyo, 3), 2, "like #3 proves #2 happened too");
        assert_eq!(c.observe(tokyo, 2), 0, "a late, reordered event changes nothing");
        assert_eq!(c.value(), 3);
    }

    #[test]
    fn delta_carries_only_what_the_peer_lacks() {
        let a = GCounter::from_slots([5, 2, 0, 7, 0, 0]);
        let known = GCounter::from_slots([5, 1, 0, 9, 0, 0]);
        let delta = a.delta_since(&known);
        assert_eq!(delta, vec![(RegionId::from_index(1).unwrap(), 2)]);
        let mut peer = known.clone();
        for (r, n) in delta {
            peer.observe(r, n);
        }
        assert_eq!(peer, merged(&known, &a));
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in counter(), b in counter()) {
            prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        }

        #[test]
        fn merge_is_associative(a in counter(), b in counter(), c in counter()) {
            prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        }

        #[test]
        fn merge_is_idempotent(a in counter(), b in counter()) {
            prop_assert_eq!(merged(&a, &a), a.clone());
            let once = merged(&a, &b);
            prop_assert_eq!(merged(&once, &b), once);
        }

        #[test]
        fn merge_is_monotone(a in counter(), b in counter()) {
            // The result is an upper bound of both inputs (nothing is forgotten)
            // and the least one (nothing is invented).
            let m = merged(&a, &b);
            prop_assert!(m.dominates(&a) && m.dominates(&b));
            prop_assert!(m.value() >= a.value().max(b.value()));
            for r in RegionId::all() {
                prop_assert_eq!(m.get(r), a.get(r).max(b.get(r)));
            }
        }

        #[test]
        fn increments_only_grow(a in counter(), i in 0..RegionId::COUNT) {
            let r = RegionId::from_index(i).unwrap();
            let mut b = a.clone();
            let seq = b.increment(r);
            prop_assert_eq!(seq, a.get(r) + 1);
            prop_assert!(b.dominates(&a));
            prop_assert_eq!(b.value(), a.value() + 1);
        }
    }
}
