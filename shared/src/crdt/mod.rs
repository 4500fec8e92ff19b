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

use serde::{Deserialize, Serialize};

/// What every replicated data type offers a replication strategy: apply an
/// operation (idempotently), merge a whole state, say what it has seen and
/// what a peer that has seen less lacks, and how many likes it holds.
///
/// These four are exactly what the replication patterns need: event push
/// ships operations ([`Replicated::apply`]), background sync ships states
/// ([`Replicated::merge`]) or deltas ([`Replicated::delta_since`] a peer's
/// [`Replicated::version`]). In the simulation a replica's state is always
/// "the operations it holds", named by a version vector per origin (see
/// [`crate::sim::likes`]), so the strategies replicate that vector and
/// every data type reads its value from it.
pub trait Replicated: Clone + PartialEq + std::fmt::Debug {
    /// An update as it travels between replicas.
    type Op: Clone + std::fmt::Debug;

    /// Applies an operation; applying it again changes nothing.
    fn apply(&mut self, op: &Self::Op);

    /// Merges another replica's state into this one (least upper bound).
    fn merge(&mut self, other: &Self);

    /// How many operations of each region this replica has seen.
    fn version(&self) -> VersionVector;

    /// The operations a replica that has seen `known` lacks: applied there,
    /// they bring it up to this one.
    fn delta_since(&self, known: &VersionVector) -> Vec<Self::Op>;

    /// The like count a reader of this replica sees.
    fn count(&self) -> u64;
}

/// What a user did: a clap (counted, anonymous, never taken back), or a
/// person's like or unlike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "act", content = "person", rename_all = "snake_case")]
pub enum Act {
    Clap,
    Like(PersonId),
    Unlike(PersonId),
}

impl Act {
    /// The person, for a like or an unlike.
    pub fn person(self) -> Option<PersonId> {
        match self {
            Act::Clap => None,
            Act::Like(p) | Act::Unlike(p) => Some(p),
        }
    }
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

    fn version(&self) -> VersionVector {
        VersionVector::from_counts(self.slots())
    }

    /// A clap's operation says "at least n", so the delta is one number per
    /// origin the peer is behind on.
    fn delta_since(&self, known: &VersionVector) -> Vec<Self::Op> {
        crate::region::RegionId::all().filter(|&r| self.get(r) > known.get(r)).map(|r| (r, self.get(r))).collect()
    }

    fn count(&self) -> u64 {
        self.value()
    }
}
