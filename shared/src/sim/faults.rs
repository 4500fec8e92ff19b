//! Faults and runtime changes: link conditions, partitions, crashes, and
//! switching the replication strategy of a running room.
//!
//! Every method here ends in [`Simulation::changed`]. Those that can end a
//! divergence (a heal, a restart, a switch) also start the convergence clock
//! and fold a repair reference into the episode's timing.

use super::*;
use crate::kernel::network::{LinkConditions, RoomLinks};

impl Simulation {
    /// Gives the directed link `from -> to` conditions of its own: from now
    /// on it ignores the room-wide settings of [`set_all_links`](Self::set_all_links),
    /// until [`reset_link`](Self::reset_link).
    pub fn set_link(&mut self, from: RegionId, to: RegionId, conditions: LinkConditions) {
        if from == to {
            return;
        }
        let healed = self.world.net.link(from, to).cut && !conditions.cut;
        if conditions.cut {
            self.world.agenda.lose_on_link(from, to);
        }
        self.world.net.set_link(from, to, conditions);
        self.world.custom_links.insert((from, to));
        if healed {
            self.healed("a heal");
        } else if !self.is_settled() {
            self.rereference();
        }
        self.changed();
    }

    /// Puts `from -> to` back on the room-wide settings over its base delay.
    /// A cut stays cut: partitions are undone with `heal`.
    pub fn reset_link(&mut self, from: RegionId, to: RegionId) {
        if from == to {
            return;
        }
        self.follow_room(from, to);
        self.world.custom_links.remove(&(from, to));
        if !self.is_settled() {
            self.rereference();
        }
        self.changed();
    }

    /// Sets `from -> to` to the room-wide settings over its base delay,
    /// keeping its cut state.
    fn follow_room(&mut self, from: RegionId, to: RegionId) {
        let cut = self.world.net.link(from, to).cut;
        let conditions = LinkConditions { cut, ..self.world.room_links.link(self.world.latency.get(from, to)) };
        self.world.net.set_link(from, to, conditions);
    }

    /// Sets the room-wide loss and duplication, and the jitter when
    /// `jitter_ms` is `Some` (`None` keeps the room-wide jitter as it is).
    /// Every link takes them over its own base delay, except the links
    /// given conditions of their own with `set_link`; cuts stay as they are.
    pub fn set_all_links(&mut self, loss: f64, duplicate: f64, jitter_ms: Option<u32>) {
        self.world.room_links = RoomLinks {
            loss: loss.clamp(0.0, 1.0),
            duplicate: duplicate.clamp(0.0, 1.0),
            jitter_ms: jitter_ms.or(self.world.room_links.jitter_ms),
        };
        for a in RegionId::all() {
            for b in RegionId::all().filter(|&b| b != a) {
                if !self.world.custom_links.contains(&(a, b)) {
                    self.follow_room(a, b);
                }
            }
        }
        self.changed();
    }

    /// The conditions of the directed link `from -> to` right now.
    pub fn link(&self, from: RegionId, to: RegionId) -> &LinkConditions {
        self.world.net.link(from, to)
    }

    /// Partitions `a` from `b`: the link is cut both ways. Messages already
    /// on the wire between them are lost (they still travel on the map, and
    /// vanish where they would have landed).
    pub fn cut(&mut self, a: RegionId, b: RegionId) {
        if a == b {
            return;
        }
        self.world.net.link_mut(a, b).cut = true;
        self.world.net.link_mut(b, a).cut = true;
        self.world.agenda.lose_on_link(a, b);
        self.world.agenda.lose_on_link(b, a);
        self.changed();
    }

    /// Restores the link between `a` and `b`, both ways.
    pub fn heal(&mut self, a: RegionId, b: RegionId) {
        if a == b {
            return;
        }
        self.world.net.link_mut(a, b).cut = false;
        self.world.net.link_mut(b, a).cut = false;
        self.healed("a heal");
        self.changed();
    }

    /// Cuts one direction only: what `from` sends to `to` is lost, while
    /// `to` still reaches `from` (an asymmetric partition, e.g. a firewall
    /// rule or a broken route one way).
    pub fn cut_one_way(&mut self, from: RegionId, to: RegionId) {
        if from == to {
            return;
        }
        self.world.net.link_mut(from, to).cut = true;
        self.world.agenda.lose_on_link(from, to);
        self.changed();
    }

    /// Restores one direction of a link.
    pub fn heal_one_way(&mut self, from: RegionId, to: RegionId) {
        if from == to {
            return;
        }
        self.world.net.link_mut(from, to).cut = false;
        self.healed("a heal");
        self.changed();
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
                self.world.net.link_mut(a, b).cut = false;
            }
        }
        self.healed("a heal");
        self.changed();
    }

    /// Whether `a -> b` is cut.
    pub fn is_cut(&self, a: RegionId, b: RegionId) -> bool {
        self.world.net.link(a, b).cut
    }

    /// The network changed in a way that can end a divergence: the clock
    /// starts, and the episode's reference is recomputed from now (what
    /// could not be reached before may be reachable now).
    fn healed(&mut self, by: &'static str) {
        self.disturb(by);
        self.rereference();
    }

    /// The network got faster (a heal, a link of its own, a region back):
    /// references computed over the old paths may now be too late to be a
    /// floor, so the episode's reference is recomputed from here.
    fn rereference(&mut self) {
        let reference = self.repair_reference();
        self.ledger.references.repair(reference);
    }

    /// Whether a room's regions keep their state across a crash.
    pub fn durable(&self) -> bool {
        self.config.durable
    }

    /// Sets whether crashes are durable (applies to crashes from now on).
    pub fn set_durable(&mut self, durable: bool) {
        self.config.durable = durable;
        self.changed();
    }

    pub fn is_crashed(&self, region: RegionId) -> bool {
        !self.world.live(region)
    }

    /// Crashes `region`: it takes no likes, messages on their way to it are
    /// lost, and its pending timers are cancelled. Without durability it
    /// keeps only what survives elsewhere (see [`Strategy::crash`]). Returns
    /// how many acknowledged likes the crash destroyed.
    pub fn crash(&mut self, region: RegionId) -> u64 {
        let i = region.index();
        if self.world.crashed[i] {
            return 0;
        }
        self.world.crashed[i] = true;
        self.world.epochs[i] += 1;
        self.world.agenda.lose_inbound(region);
        self.saga_crash(region);
        let before: Vec<u64> = RegionId::all().map(|o| self.strategy.numbered(o)).collect();
        let refused_before = self.ledger.truth.refused;
        // What is on the wire and will still land somewhere survives.
        let in_flight: Vec<(RegionId, Message)> = self
            .world
            .agenda
            .envelopes()
            .filter(|e| !e.lost && !self.world.net.link(e.from, e.to).cut)
            .map(|e| (e.from, e.msg.clone()))
            .collect();
        let refs: Vec<(RegionId, &Message)> = in_flight.iter().map(|(f, m)| (*f, m)).collect();
        let durable = self.config.durable;
        #[cfg(test)]
        let kept = self.strategy.durable_state(region);
        let mut outcomes = Vec::new();
        let mut ctx = self.world.ctx(&mut outcomes, Cause::Background);
        self.strategy.crash(&mut ctx, region, durable, &refs);
        self.settle_outcomes(outcomes);
        #[cfg(test)]
        self.trace.push(super::oracle::Trace::Crash {
            region,
            durable,
            carried: in_flight.iter().fold(Tally::default(), |acc, (_, m)| acc.max(&m.carries())),
            kept,
        });
        let mut destroyed = 0;
        for o in RegionId::all() {
            let after = self.strategy.numbered(o);
            destroyed += before[o.index()].saturating_sub(after);
            if after < before[o.index()] {
                self.ledger.renumber(o, after);
            }
        }
        // Likes in doubt that the crash made fail were never acknowledged.
        let destroyed = destroyed.saturating_sub(self.ledger.truth.refused - refused_before);
        self.ledger.destroyed_in_crashes += destroyed;
        self.changed();
        destroyed
    }

    /// Brings `region` back up (recovering from its log when durable).
    pub fn restart(&mut self, region: RegionId) {
        let i = region.index();
        if !self.world.crashed[i] {
            return;
        }
        self.world.crashed[i] = false;
        self.with_strategy(Cause::Background, |s, ctx| s.restart(ctx, region));
        self.saga_restart(region);
        self.healed("a restart");
        self.changed();
    }

    /// Whether a like at `region` would be taken right now.
    pub fn available(&self, region: RegionId) -> bool {
        self.world.live(region) && self.strategy.available(region, self.world.now)
    }

    /// Switches the room to another replication strategy, at the current time.
    ///
    /// Likes in doubt under the old strategy end first: acknowledged if a
    /// replica holds them, refused if not. The new strategy then starts from
    /// what the old one's replicas **actually hold** (its queues included),
    /// region by region — so a like the old strategy lost stays lost, and
    /// the verdict keeps judging it. The old protocol's messages in flight
    /// and timers are discarded (nobody speaks it any more); everything they
    /// carried is also held by their sender. Measurements that describe one
    /// strategy (visibility, stale reads, cost) start afresh.
    pub fn set_strategy(&mut self, config: StrategyConfig) {
        let from = self.strategy.kind();
        let (acked_before, refused_before) = (self.ledger.truth.total, self.ledger.truth.refused);
        self.with_strategy(Cause::Background, |s, ctx| s.abandon(ctx));
        let resolved_acknowledged = self.ledger.truth.total - acked_before;
        let resolved_refused = self.ledger.truth.refused - refused_before;
        let holdings: Vec<Tally> = RegionId::all().map(|r| self.strategy.holdings(r)).collect();
        let dropped_messages = self.world.agenda.envelopes().filter(|e| !e.lost).count() as u64;
        self.world.agenda.clear();
        self.world.net.clear_in_flight();
        self.world.net.reset_stats();
        #[cfg(test)]
        self.trace.push(super::oracle::Trace::Switch(config.clone()));
        let mut strategy = config.build();
        strategy.seed(&holdings);
        self.strategy = strategy;
        self.config.strategy = config;
        self.with_strategy(Cause::Background, |s, ctx| s.start(ctx));
        // Timers the new strategy set on regions that are down are stale:
        // those regions arm theirs when they restart.
        for (epoch, &down) in self.world.epochs.iter_mut().zip(&self.world.crashed) {
            if down {
                *epoch += 1;
            }
        }
        let now = self.world.now;
        let strategy = &self.strategy;
        self.ledger.switched(now, strategy.keeps_each_like(), |o| strategy.numbered(o));
        self.ledger.last_switch = Some(SwitchNote {
            at: now,
            from,
            to: self.strategy.kind(),
            dropped_messages,
            resolved_acknowledged,
            resolved_refused,
        });
        self.healed("the switch");
        self.changed();
    }

    /// The current strategy's configuration.
    pub fn strategy_config(&self) -> &StrategyConfig {
        &self.config.strategy
    }
}
