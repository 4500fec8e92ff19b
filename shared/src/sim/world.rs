//! The world a strategy runs in: the clock, the agenda of things due, the
//! network with its links and faults, the seeded randomness, and which
//! regions are down.
//!
//! It knows nothing about likes or replicas. The simulation lends it to the
//! strategy one step at a time as a [`Ctx`](crate::kernel::Ctx).

use crate::kernel::agenda::Agenda;
use crate::kernel::network::{Network, RoomLinks};
use crate::kernel::Outcome;
use crate::kernel::{Cause, Ctx, Millis, Paths};
use crate::region::{LatencyMatrix, RegionId};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub(crate) struct World {
    pub(crate) latency: LatencyMatrix,
    pub(crate) now: Millis,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) agenda: Agenda,
    pub(crate) net: Network,
    pub(crate) time_scale: f64,
    /// Regions that are down.
    pub(crate) crashed: Vec<bool>,
    /// Crash count per region; timers set before a crash are stale.
    pub(crate) epochs: Vec<u32>,
    /// What `set_all_links` set, which every link follows unless it is in
    /// `custom_links`.
    pub(crate) room_links: RoomLinks,
    /// Directed links given conditions of their own with `set_link`.
    pub(crate) custom_links: BTreeSet<(RegionId, RegionId)>,
    /// See [`Ctx::ops_carry_history`]: set from the room's data type.
    pub(crate) ops_carry_history: bool,
}

impl World {
    pub(crate) fn new(seed: u64, time_scale: f64) -> World {
        let latency = LatencyMatrix::from_geography(time_scale);
        World {
            rng: ChaCha8Rng::seed_from_u64(seed),
            net: Network::new(&latency),
            latency,
            now: 0,
            agenda: Agenda::default(),
            time_scale,
            crashed: vec![false; RegionId::COUNT],
            epochs: vec![0; RegionId::COUNT],
            room_links: RoomLinks::default(),
            custom_links: BTreeSet::new(),
            ops_carry_history: true,
        }
    }

    /// A strategy's window on this world for one step.
    pub(crate) fn ctx<'a>(&'a mut self, outcomes: &'a mut Vec<Outcome>, cause: Cause) -> Ctx<'a> {
        Ctx {
            now: self.now,
            time_scale: self.time_scale,
            rng: &mut self.rng,
            net: &mut self.net,
            agenda: &mut self.agenda,
            outcomes,
            crashed: &self.crashed,
            epochs: &self.epochs,
            cause,
            ops_carry_history: self.ops_carry_history,
        }
    }

    pub(crate) fn live(&self, r: RegionId) -> bool {
        !self.crashed[r.index()]
    }

    pub(crate) fn paths(&self) -> Paths {
        Paths::new(&self.net, &self.crashed)
    }

    /// Whether every live region can reach every other live one, over any
    /// path (gossip relays).
    pub(crate) fn connected(&self) -> bool {
        let paths = self.paths();
        let live: Vec<RegionId> = RegionId::all().filter(|&r| self.live(r)).collect();
        live.iter().all(|&a| live.iter().all(|&b| paths.get(a, b).is_some()))
    }
}
