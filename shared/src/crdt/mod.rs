//! Conflict-free replicated data types: values that replicas can change
//! independently and always merge back together, without coordination and
//! without losing anything.
//!
//! Each type here is a *join-semilattice*: its states are partially ordered
//! ("has seen at least as much as"), and [`Replicated::merge`] is the least
//! upper bound of two states. That makes merging commutative, associative and
//! idempotent — so replicas can exchange states in any order, any number of
//! times, over any path, and end equal once they have seen the same updates.
//! Every type checks those laws in its property tests.
//!
//! - [`GCounter`] — the grow-only counter: every click counts ("claps").
//! - [`LikeSet`] — one like per person, with unlike: an observed-remove set
//!   whose concurrent like-and-unlike is settled by a [`Bias`] (add-wins or
//!   remove-wins).

mod gcounter;
mod likeset;

pub use gcounter::GCounter;
pub use likeset::{Bias, Dot, LikeOp, LikeSet, PersonId, VersionVector};

/// What every replicated data type offers a replication strategy: apply an
/// operation (idempotently), merge a whole state, and say how many likes it
/// holds.
pub trait Replicated: Clone + PartialEq + std::fmt::Debug {
    /// An update as it travels between replicas.
    type Op: Clone + std::fmt::Debug;

    /// Applies an operation; applying it again changes nothing.
    fn apply(&mut self, op: &Self::Op);

    /// Merges another replica's state into this one (least upper bound).
    fn merge(&mut self, other: &Self);

    /// The like count a reader of this replica sees.
    fn count(&self) -> u64;
}

impl Replicated for GCounter {
    /// "`origin` has taken at least `n` likes".
    type Op = (crate::region::RegionId, u64);

    fn apply(&mut self, &(origin, n): &Self::Op) {
        self.observe(origin, n);
    }

    fn merge(&mut self, other: &Self) {
        GCounter::merge(self, other);
    }

    fn count(&self) -> u64 {
        self.value()
    }
}
