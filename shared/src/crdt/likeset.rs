//! One like per person, with unlike: an observed-remove set of people.
//!
//! # The problem it solves
//! A real like button is not a click counter: a person likes a post once,
//! and can take it back. Now two replicas can disagree in a new way: Ana
//! likes in Tokyo while, at the same moment, her other tab unlikes in
//! Virginia. Neither knew of the other. Does Ana like the post?
//!
//! A grow-only counter cannot even express the unlike. A set that just adds
//! and removes names gets a different answer depending on which message
//! arrives last — replicas would disagree for good. The question needs an
//! answer that does not depend on arrival order: a *rule for concurrent
//! like and unlike*.
//!
//! # The trick
//! Every like and unlike becomes an operation with a unique *dot* (the
//! region that took it, and that region's operation number) and the
//! *causal context* it was taken in: the [`VersionVector`] of operations
//! that region had seen. An unlike that had seen a like *happened after*
//! it; a like and an unlike that had not seen each other are *concurrent*.
//! The state is simply the set of all operations, merged by union — a
//! grow-only set, so the lattice laws hold trivially — and who likes the
//! post is a pure function of that set:
//! - **add-wins**: Ana likes the post if one of her likes was not seen by
//!   any of her unlikes (a concurrent like survives the unlike);
//! - **remove-wins**: Ana likes the post if one of her likes had seen every
//!   one of her unlikes (a concurrent unlike takes the like away).
//!
//! Same operations, same answer on every replica, whatever the order they
//! arrived in. A like duplicated by the network is the same dot, so it is
//! harmless by construction: nobody is ever counted twice.
//!
//! # The cost
//! Operations are never forgotten: the set grows with every like and
//! unlike (the unlikes are the *tombstones*). Real systems compact once
//! every replica has seen an operation; the lab shows the growth instead.

use super::Replicated;
use crate::region::RegionId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An anonymous person (the browser's id).
pub type PersonId = u64;

/// Which of a concurrent like and unlike wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bias {
    AddWins,
    RemoveWins,
}

/// A unique operation id: the region that took it, and that region's
/// operation number (1, 2, 3, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dot {
    pub region: RegionId,
    pub n: u64,
}

/// How many operations of each region a replica had seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct VersionVector([u64; RegionId::COUNT]);

impl VersionVector {
    pub fn get(&self, region: RegionId) -> u64 {
        self.0[region.index()]
    }

    /// A vector from per-region counts, in catalog order (missing regions
    /// are zero, extra counts ignored).
    pub fn from_counts(counts: &[u64]) -> Self {
        let mut v = VersionVector::default();
        for (a, &b) in v.0.iter_mut().zip(counts) {
            *a = b;
        }
        v
    }

    /// Per-region counts, in catalog order.
    pub fn counts(&self) -> &[u64] {
        &self.0
    }

    /// Whether this context had seen the operation `dot`.
    pub fn covers(&self, dot: Dot) -> bool {
        self.get(dot.region) >= dot.n
    }

    fn see(&mut self, dot: Dot) {
        let slot = &mut self.0[dot.region.index()];
        *slot = (*slot).max(dot.n);
    }
}

/// A like or an unlike, as it travels between replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LikeOp {
    pub person: PersonId,
    /// `true` for a like, `false` for an unlike.
    pub like: bool,
    pub dot: Dot,
    /// What the taking region had seen (excluding this operation).
    pub context: VersionVector,
}

/// One replica's set of likes (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LikeSet {
    bias: Bias,
    ops: BTreeSet<LikeOp>,
    /// Every operation this replica holds, per region: its causal context.
    seen: VersionVector,
}

impl LikeSet {
    pub fn new(bias: Bias) -> Self {
        LikeSet { bias, ops: BTreeSet::new(), seen: VersionVector::default() }
    }

    pub fn bias(&self) -> Bias {
        self.bias
    }

    /// `person` likes (or, with `like: false`, unlikes) at `region`, a
    /// replica this set belongs to. Returns the operation to send to peers.
    pub fn take(&mut self, region: RegionId, person: PersonId, like: bool) -> LikeOp {
        let dot = Dot { region, n: self.seen.get(region) + 1 };
        let op = LikeOp { person, like, dot, context: self.seen };
        self.apply(&op);
        op
    }

    /// Whether `person` likes the post, as this replica sees it.
    pub fn contains(&self, person: PersonId) -> bool {
        // Operations are ordered by person first: one range, not a scan.
        let first = RegionId::from_index(0).expect("catalog is not empty");
        let start = LikeOp { person, like: false, dot: Dot { region: first, n: 0 }, context: VersionVector::default() };
        let ops: Vec<&LikeOp> = self.ops.range(start..).take_while(|o| o.person == person).collect();
        // Each like is checked against *every* unlike: the unlikes are
        // collected once, not an iterator a first check would use up.
        let (likes, unlikes): (Vec<&LikeOp>, Vec<&LikeOp>) = ops.into_iter().partition(|o| o.like);
        match self.bias {
            // Some like that no unlike had seen.
            Bias::AddWins => likes.iter().any(|l| !unlikes.iter().any(|u| u.context.covers(l.dot))),
            // Some like that had seen every unlike.
            Bias::RemoveWins => likes.iter().any(|l| unlikes.iter().all(|u| l.context.covers(u.dot))),
        }
    }

    /// Everyone who likes the post, in id order.
    pub fn members(&self) -> Vec<PersonId> {
        let people: BTreeSet<PersonId> = self.ops.iter().map(|o| o.person).collect();
        people.into_iter().filter(|&p| self.contains(p)).collect()
    }

    /// Operations held, likes and unlikes (the state's size).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Unlikes held: the tombstones.
    pub fn tombstones(&self) -> usize {
        self.ops.iter().filter(|o| !o.like).count()
    }

    /// What this replica has seen, per region.
    pub fn seen(&self) -> VersionVector {
        self.seen
    }

    /// The operations a peer that has seen `known` lacks: a delta.
    pub fn delta_since(&self, known: &VersionVector) -> Vec<LikeOp> {
        self.ops.iter().filter(|o| !known.covers(o.dot)).copied().collect()
    }
}

impl Replicated for LikeSet {
    type Op = LikeOp;

    fn version(&self) -> VersionVector {
        self.seen
    }

    fn delta_since(&self, known: &VersionVector) -> Vec<LikeOp> {
        LikeSet::delta_since(self, known)
    }

    fn apply(&mut self, op: &LikeOp) {
        self.seen.see(op.dot);
        self.ops.insert(*op);
    }

    fn merge(&mut self, other: &Self) {
        for op in &other.ops {
            self.apply(op);
        }
    }

    fn count(&self) -> u64 {
        self.members().len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ANA: PersonId = 7;

    fn r(i: usize) -> RegionId {
        RegionId::from_index(i % RegionId::COUNT).unwrap()
    }

    fn merged(a: &LikeSet, b: &LikeSet) -> LikeSet {
        let mut m = a.clone();
        m.merge(b);
        m
    }

    /// Replicas built by random likes and unlikes at random regions, with
    /// random merges between them along the way.
    fn replicas(bias: Bias) -> impl Strategy<Value = Vec<LikeSet>> {
        proptest::collection::vec((0usize..3, 0u64..4, any::<bool>(), 0usize..3, any::<bool>()), 0..40).prop_map(
            move |steps| {
                let mut sets = vec![LikeSet::new(bias); 3];
                for (i, person, like, j, sync) in steps {
                    sets[i].take(r(i), person, like);
                    if sync {
                        let other = sets[j].clone();
                        sets[i].merge(&other);
                    }
                }
                sets
            },
        )
    }

    #[test]
    fn a_concurrent_like_and_unlike_end_as_the_bias_says() {
        for (bias, expected) in [(Bias::AddWins, true), (Bias::RemoveWins, false)] {
            let mut tokyo = LikeSet::new(bias);
            tokyo.take(r(0), ANA, true);
            let mut virginia = tokyo.clone();
            // Concurrently: Tokyo likes again, Virginia unlikes.
            tokyo.take(r(0), ANA, true);
            virginia.take(r(4), ANA, false);
            let (a, b) = (merged(&tokyo, &virginia), merged(&virginia, &tokyo));
            assert_eq!(a, b);
            assert_eq!(a.contains(ANA), expected, "{bias:?}");
        }
    }

    #[test]
    fn a_sequential_unlike_removes_and_a_later_like_restores() {
        for bias in [Bias::AddWins, Bias::RemoveWins] {
            let mut s = LikeSet::new(bias);
            s.take(r(0), ANA, true);
            assert!(s.contains(ANA));
            s.take(r(1), ANA, false);
            assert!(!s.contains(ANA), "{bias:?}: the unlike had seen the like");
            s.take(r(2), ANA, true);
            assert!(s.contains(ANA), "{bias:?}: the new like had seen the unlike");
            assert_eq!((s.len(), s.tombstones()), (3, 1), "nothing is forgotten");
        }
    }

    #[test]
    fn an_unlike_that_saw_every_like_removes_under_both_rules() {
        // Two likes, then an unlike that had seen both: every like was seen
        // by an unlike (add-wins), no like saw the unlike (remove-wins).
        for bias in [Bias::AddWins, Bias::RemoveWins] {
            let mut s = LikeSet::new(bias);
            s.take(r(0), ANA, true);
            s.take(r(0), ANA, true);
            s.take(r(1), ANA, false);
            assert!(!s.contains(ANA), "{bias:?}");
        }
    }

    #[test]
    fn a_duplicated_like_counts_once() {
        let mut a = LikeSet::new(Bias::AddWins);
        let op = a.take(r(0), ANA, true);
        let mut b = LikeSet::new(Bias::AddWins);
        b.apply(&op);
        b.apply(&op);
        assert_eq!((b.count(), b.len()), (1, 1));
    }

    #[test]
    fn a_delta_carries_exactly_what_the_peer_lacks() {
        let mut a = LikeSet::new(Bias::AddWins);
        a.take(r(0), 1, true);
        let mut b = a.clone();
        a.take(r(0), 2, true);
        a.take(r(1), 1, false);
        let delta = a.delta_since(&b.seen());
        assert_eq!(delta.len(), 2);
        for op in &delta {
            b.apply(op);
        }
        assert_eq!(b, a);
    }

    proptest! {
        #[test]
        fn merge_is_commutative_associative_and_idempotent(
            bias in prop_oneof![Just(Bias::AddWins), Just(Bias::RemoveWins)],
            sets in replicas(Bias::AddWins),
        ) {
            let sets: Vec<LikeSet> = sets.into_iter().map(|s| LikeSet { bias, ..s }).collect();
            let (a, b, c) = (&sets[0], &sets[1], &sets[2]);
            prop_assert_eq!(merged(a, b), merged(b, a));
            prop_assert_eq!(merged(&merged(a, b), c), merged(a, &merged(b, c)));
            prop_assert_eq!(merged(a, a), a.clone());
            let once = merged(a, b);
            prop_assert_eq!(merged(&once, b), once.clone());
            // And the answer depends only on the operations, not the order.
            prop_assert_eq!(merged(&merged(a, b), c).members(), merged(&merged(c, b), a).members());
        }

        /// Without concurrency both rules agree with the obvious model: a
        /// person likes the post when their last like or unlike was a like.
        #[test]
        fn sequential_likes_and_unlikes_end_as_the_last_one_says(
            bias in prop_oneof![Just(Bias::AddWins), Just(Bias::RemoveWins)],
            steps in proptest::collection::vec((0usize..6, 0u64..3, any::<bool>()), 0..40),
        ) {
            let mut s = LikeSet::new(bias);
            let mut last = std::collections::BTreeMap::new();
            for (region, person, like) in steps {
                // One replica, so every operation has seen all before it.
                s.take(r(region), person, like);
                last.insert(person, like);
            }
            for (p, like) in last {
                prop_assert_eq!(s.contains(p), like, "person {}", p);
            }
        }

        #[test]
        fn nobody_is_counted_twice(sets in replicas(Bias::AddWins)) {
            let all = sets.iter().fold(LikeSet::new(Bias::AddWins), |acc, s| merged(&acc, s));
            let people: BTreeSet<PersonId> = all.ops.iter().filter(|o| o.like).map(|o| o.person).collect();
            prop_assert!(all.count() <= people.len() as u64);
        }

        #[test]
        fn add_wins_keeps_whoever_remove_wins_keeps(sets in replicas(Bias::AddWins)) {
            let add = sets.iter().fold(LikeSet::new(Bias::AddWins), |acc, s| merged(&acc, s));
            let remove = LikeSet { bias: Bias::RemoveWins, ..add.clone() };
            for p in remove.members() {
                prop_assert!(add.contains(p), "person {}", p);
            }
        }
    }
}
