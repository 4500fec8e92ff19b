//! A tally: how many likes from each origin region a value is made of.
//!
//! Every replica's count is a sum of likes taken in some regions. For the
//! grow-only counter the tally *is* the state (one slot per region); for a
//! last-writer-wins total or a leader's count it is bookkeeping the
//! simulation keeps beside the number. Either way it is what lets the
//! verdict judge each origin on its own: a like lost from Tokyo and a
//! duplicate from Sydney are two mistakes, not a total that happens to be
//! right.

use crate::region::RegionId;
use serde::{Deserialize, Serialize};

/// Likes per origin region, in catalog order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Tally([u64; RegionId::COUNT]);

impl Tally {
    pub fn from_slots(slots: &[u64]) -> Self {
        let mut t = Tally::default();
        for (a, &b) in t.0.iter_mut().zip(slots) {
            *a = b;
        }
        t
    }

    pub fn get(&self, origin: RegionId) -> u64 {
        self.0[origin.index()]
    }

    pub fn set(&mut self, origin: RegionId, n: u64) {
        self.0[origin.index()] = n;
    }

    pub fn add(&mut self, origin: RegionId, n: u64) {
        self.0[origin.index()] += n;
    }

    /// The total: what a reader sees.
    pub fn sum(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn slots(&self) -> &[u64] {
        &self.0
    }

    /// Pointwise maximum.
    pub fn max(&self, other: &Tally) -> Tally {
        let mut t = *self;
        for (a, &b) in t.0.iter_mut().zip(&other.0) {
            *a = (*a).max(b);
        }
        t
    }

    /// Pointwise minimum.
    pub fn min(&self, other: &Tally) -> Tally {
        let mut t = *self;
        for (a, &b) in t.0.iter_mut().zip(&other.0) {
            *a = (*a).min(b);
        }
        t
    }
}
