//! Faults and runtime changes: link conditions, partitions, crashes, and
//! switching the replication strategy of a running room.
//!
//! Every method here bumps the room's version (a viewer can see the change)
//! and, where the change can end a divergence (a heal, a restart, a switch),
//! restarts the convergence clock of the [`Verdict`](super::Verdict).

use super::*;

impl Simulation {
    /// Gives the directed link `from -> to` conditions of its own: from now
    /// on it ignores the room-wide settings of [`set_all_links`](Self::set_all_links),
    /// until [`reset_link`](Self::reset_link).
    pub fn set_link(&mut self, from: RegionId, to: RegionId, conditions: LinkConditions) {
        if from == to {
            return;
        }
        let healed = self.net.link(from, to).cut && !conditions.cut;
        self.net.set_link(from, to, conditions);
        self.custom_links.insert((from, to));
        if healed {
            self.last_disturbance_at = Some(self.now);
        }
        self.version += 1;
    }

    /// Puts `from -> to` back on the room-wide settings over its base delay.
    /// A cut stays cut: partitions are undone with `heal`.
    pub fn reset_link(&mut self, from: RegionId, to: RegionId) {
        if from == to {
            return;
        }
        self.follow_room(from, to);
        self.custom_links.remove(&(from, to));
        self.version += 1;
    }

    /// Sets `from -> to` to the room-wide settings over its base delay,
    /// keeping its cut state.
    fn follow_room(&mut self, from: RegionId, to: RegionId) {
        let cut = self.net.link(from, to).cut;
        let conditions = LinkConditions { cut, ..self.room_links.link(self.latency.get(from, to)) };
        self.net.set_link(from, to, conditions);
    }

    /// Sets the room-wide loss and duplication, and the jitter when
    /// `jitter_ms` is `Some` (`None` keeps the room-wide jitter as it is).
    /// Every link takes them over its own base delay, except the links
    /// given conditions of their own with `set_link`; cuts stay as they are.
    pub fn set_all_links(&mut self, loss: f64, duplicate: f64, jitter_ms: Option<u32>) {
        self.room_links = RoomLinks {
            loss: loss.clamp(0.0, 1.0),
            duplicate: duplicate.clamp(0.0, 1.0),
            jitter_ms: jitter_ms.or(self.room_links.jitter_ms),
        };
        for a in RegionId::all() {
            for b in RegionId::all().filter(|&b| b != a) {
                if !self.custom_links.contains(&(a, b)) {
                    self.follow_room(a, b);
                }
            }
        }
        self.version += 1;
    }

    /// The conditions of the directed link `from -> to` right now.
    pub fn link(&self, from: RegionId, to: RegionId) -> &LinkConditions {
        self.net.link(from, to)
    }

    /// Partitions `a` from `b`: the link is cut both ways. Messages already
    /// on the wire between them are dropped on arrival.
    pub fn cut(&mut self, a: RegionId, b: RegionId) {
        if a == b {
            return;
        }
        self.net.link_mut(a, b).cut = true;
        self.net.link_mut(b, a).cut = true;
        self.version += 1;
    }

    /// Restores the link between `a` and `b`, both ways.
    pub fn heal(&mut self, a: RegionId, b: RegionId) {
        if a == b {
            return;
        }
        self.net.link_mut(a, b).cut = false;
        self.net.link_mut(b, a).cut = false;
        self.last_disturbance_at = Some(self.now);
        self.version += 1;
    }

    /// Cuts `region` off from every other region.
    pub fn isolate(&mut self, region: RegionId) {
        for other in RegionId::all().filter(|&o| o != region) {
            self.cut(region, other);
        }
    }

    /// Restores every link (crashed regions stay down).
    pub fn heal_all(&mut self) {
        for a in RegionId::all() {
            for b in RegionId::all() {
                self.net.link_mut(a, b).cut = false;
            }
        }
        self.last_disturbance_at = Some(self.now);
        self.version += 1;
    }

    /// Whether `a -> b` is cut.
    pub fn is_cut(&self, a: RegionId, b: RegionId) -> bool {
        self.net.link(a, b).cut
    }

    /// Whether a room's regions keep their acknowledged state across a crash.
    pub fn durable(&self) -> bool {
        self.config.durable
    }

    /// Sets whether crashes are durable (applies to crashes from now on).
    pub fn set_durable(&mut self, durable: bool) {
        self.config.durable = durable;
        self.version += 1;
    }

    pub fn is_crashed(&self, region: RegionId) -> bool {
        self.crashed[region.index()]
    }

    /// Crashes `region`: it accepts no likes, drops what reaches it, and its
    /// pending timers are cancelled. Without durability it loses the likes
    /// it acknowledged but had not shipped; returns how many.
    pub fn crash(&mut self, region: RegionId) -> u64 {
        let i = region.index();
        if self.crashed[i] {
            return 0;
        }
        self.crashed[i] = true;
        self.epochs[i] += 1;
        let lost = self.strategy.crash(region, self.config.durable);
        self.lost_in_crashes += lost;
        self.version += 1;
        self.observe();
        lost
    }

    /// Brings `region` back up (recovering from its log when durable).
    pub fn restart(&mut self, region: RegionId) {
        let i = region.index();
        if !self.crashed[i] {
            return;
        }
        self.crashed[i] = false;
        self.with_strategy(|s, ctx| s.restart(ctx, region));
        self.last_disturbance_at = Some(self.now);
        self.version += 1;
        self.observe();
    }

    /// Whether a like at `region` would be accepted right now.
    pub fn available(&self, region: RegionId) -> bool {
        !self.crashed[region.index()]
            && self.strategy.available(region, &Reach { net: &self.net, crashed: &self.crashed })
    }

    /// Switches the room to another replication strategy, at the current time.
    ///
    /// The new strategy starts from the **ground truth**: every replica is
    /// seeded with the likes acknowledged so far, per region. The switch is
    /// modelled as a migration from the system of record, so counts do not
    /// reset to zero or jump around, and the new strategy is judged only on
    /// what happens after the switch. The old strategy's messages in flight
    /// and timers are discarded (they belong to a protocol nobody speaks any
    /// more); likes still in doubt under the old strategy stay in doubt, and
    /// likes destroyed by earlier crashes are restored by the seeding.
    pub fn set_strategy(&mut self, config: StrategyConfig) {
        self.agenda.clear();
        self.net.clear_in_flight();
        let mut strategy = config.build();
        strategy.seed(&self.truth.per_region);
        self.strategy = strategy;
        self.config.strategy = config;
        self.lost_in_crashes = 0;
        self.unseen.clear();
        self.with_strategy(|s, ctx| s.start(ctx));
        // Timers the new strategy set on regions that are down are stale:
        // those regions arm theirs when they restart.
        for (epoch, &down) in self.epochs.iter_mut().zip(&self.crashed) {
            if down {
                *epoch += 1;
            }
        }
        self.last_disturbance_at = Some(self.now);
        self.version += 1;
        self.observe();
    }

    /// The current strategy's configuration.
    pub fn strategy_config(&self) -> &StrategyConfig {
        &self.config.strategy
    }
}
