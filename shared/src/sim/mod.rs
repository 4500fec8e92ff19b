//! The deterministic simulation of one room: regions, links, messages in
//! flight, the ground truth, and the verdict.
//!
//! The simulation is a pure state machine. It never reads a clock: time is an
//! argument (`advance(now)`, `like(region, now)`), measured in simulated
//! milliseconds since the room started. Randomness (jitter, loss) comes from
//! a seeded ChaCha generator. So the same seed and the same inputs at the same
//! times give the same history on every machine, which is what lets the tests
//! check convergence without sockets or sleeps, and lets the server drive it
//! from a real clock.
//!
//! It is three parts with one job each, joined here:
//! - the **world** ([`world`]): clock, agenda, network, randomness, which
//!   regions are down;
//! - the **strategy** ([`crate::strategy`]): the replicas and how they talk;
//! - the **ledger** ([`ledger`]): the ground truth and every measurement,
//!   fed by the events below;
//! - the **data type** ([`likes`]): what the operations a replica holds
//!   mean — claps, or a set of people with its log and per-person truth.
//!
//! Every input goes through one of the methods here or in [`faults`], and
//! every one of them ends in [`Simulation::changed`], the one place that
//! marks a change for viewers and re-judges the room.

mod faults;
pub mod ledger;
pub mod likes;
pub mod read_model;
pub mod replay;
pub mod sagas;
mod verdict;
mod world;

pub use ledger::{Change, SwitchNote, Truth};
pub use likes::{DataType, SetVerdict};
pub use read_model::ReadModelView;
pub use sagas::{SagaRow, SagaVerdict, SagasView, SuperLikeRefusal};
pub use verdict::{Extra, OriginJudgement, Timing, Verdict, Visibility};

use crate::crdt::{Act, PersonId, VersionVector};
use crate::kernel::agenda::Event;
use crate::kernel::network::Network;
use crate::kernel::Outcome;
use crate::kernel::{Cause, Ctx, Message, Millis, Tally};
use crate::protocol::history::{Fate, HistoryEvent, MsgEvent, Recorder};
use crate::protocol::view::{
    Consistency, FaultView, LinkRef, LinkSetting, LinkView, PacketView, ReplicaView, SimView, MAX_PACKETS_IN_VIEW,
};
use crate::region::{LatencyMatrix, RegionId};
use crate::scenario::{self, Player};
use crate::strategy::{Accepted, Pending, RefCtx, Reference, Refusal, Strategy, StrategyConfig};
use ledger::{Change as LastChange, Ledger};
use likes::Likes;
use read_model::ReadModel;
use serde::{Deserialize, Serialize};
use world::World;

/// Everything needed to start a room's simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seed of the random generator (jitter, loss, gossip peers).
    pub seed: u64,
    /// Multiplies every link delay and every strategy interval.
    pub time_scale: f64,
    pub strategy: StrategyConfig,
    /// Whether a region's state survives a crash (it keeps a log on disk).
    /// Without it, a crash loses what only that region held.
    #[serde(default = "default_durable")]
    pub durable: bool,
    /// What a like is: a clap, or one person's like in a set (see
    /// [`likes`]). Older configs have none: claps.
    #[serde(default)]
    pub data_type: DataType,
    /// How often the "who liked" read model is rebuilt, in simulated ms; 0:
    /// on every event (see [`read_model`]). Older configs have none: the
    /// default.
    #[serde(default = "default_read_model_ms")]
    pub read_model_ms: Millis,
    /// The guided scenario the room plays (see [`crate::scenario`]), by id.
    /// Its steps are a function of simulated time, so a replay of the room
    /// plays them again without their being logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

fn default_read_model_ms() -> Millis {
    read_model::DEFAULT_INTERVAL_MS
}

fn default_durable() -> bool {
    true
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 0x11CE_5EED,
            time_scale: 1.0,
            strategy: StrategyConfig::default(),
            durable: true,
            data_type: DataType::Claps,
            read_model_ms: read_model::DEFAULT_INTERVAL_MS,
            scenario: None,
        }
    }
}

/// One room's replicas, network, clock and ledger. Cloning it copies the
/// whole room (to seek in its history, or to fork it).
#[derive(Debug, Clone)]
pub struct Simulation {
    config: SimConfig,
    world: World,
    strategy: Box<dyn Strategy>,
    ledger: Ledger,
    /// The operation log and each replica's value, for a room of sets.
    likes: Likes,
    /// The "who liked" read model, projected from the replicas.
    read_model: ReadModel,
    /// Super likes: their sagas, the services, and who shows which.
    sagas: sagas::Sagas,
    consistency: Consistency,
    /// The last settled episode's timing.
    timing: Option<Timing>,
    last_write_at: Option<Millis>,
    /// Bumped on every change a viewer could see; lets the server skip
    /// frames when nothing happened.
    version: u64,
    /// The history stream for viewers (see [`crate::protocol::history`]),
    /// only in rooms that asked for it: tests, benchmarks and the
    /// comparison run without paying for it.
    history: Option<Box<Recorder>>,
    /// The guided scenario being played, if the room runs one.
    script: Option<Player>,
    /// Raw events for the test-only oracle ([`oracle`]), which recomputes
    /// from them what the replicas must hold, without the ledger's help.
    #[cfg(test)]
    pub(crate) trace: Vec<oracle::Trace>,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Self {
        let mut world = World::new(config.seed, config.time_scale);
        world.ops_carry_history = config.data_type.ops_carry_history();
        let likes = Likes::new(config.data_type);
        let mut sim = Simulation {
            world,
            strategy: config.strategy.build(),
            ledger: Ledger::new(),
            read_model: ReadModel::new(config.read_model_ms, &likes),
            likes,
            sagas: sagas::Sagas::default(),
            consistency: Consistency::Settled { since: 0, took_ms: None, correct: true },
            timing: None,
            last_write_at: None,
            version: 0,
            history: None,
            script: config.scenario.as_deref().and_then(scenario::find).map(Player::new),
            #[cfg(test)]
            trace: Vec::new(),
            config,
        };
        sim.ledger.per_like = sim.strategy.keeps_each_like();
        sim.with_strategy(Cause::Background, |s, ctx| s.start(ctx));
        sim
    }

    /// Starts (or stops) recording the history stream.
    pub fn record_history(&mut self, on: bool) {
        self.history = on.then(Box::default);
    }

    /// The events recorded since the last call, and how many the bounded
    /// buffer dropped; empty when not recording.
    pub fn take_history(&mut self) -> (Vec<HistoryEvent>, u64) {
        self.history.as_mut().map(|h| h.drain()).unwrap_or_default()
    }

    /// Forgets the buffered events (a clone taken to replay the past
    /// starts a window of its own).
    pub fn clear_history(&mut self) {
        if let Some(h) = self.history.as_mut() {
            h.clear();
        }
    }

    /// Records a marker (see `replay`'s `apply`).
    pub(crate) fn record_mark(&mut self, event: HistoryEvent) {
        self.record(|| event);
    }

    fn record(&mut self, event: impl FnOnce() -> HistoryEvent) {
        if let Some(h) = self.history.as_mut() {
            h.push(event());
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The base one-way delays of this room's links.
    pub fn latency(&self) -> &LatencyMatrix {
        &self.world.latency
    }

    pub fn network(&self) -> &Network {
        &self.world.net
    }

    /// The links, to change their conditions directly (tests).
    pub fn network_mut(&mut self) -> &mut Network {
        self.version += 1;
        &mut self.world.net
    }

    pub fn now(&self) -> Millis {
        self.world.now
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn truth(&self) -> &Truth {
        &self.ledger.truth
    }

    pub fn consistency(&self) -> Consistency {
        self.consistency
    }

    /// When the next scheduled event (arrival or timer) is due.
    pub fn next_event_at(&self) -> Option<Millis> {
        let step = self.script.as_ref().and_then(Player::next_at);
        match (self.world.agenda.next_at(), step) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The guided scenario's progress, if the room plays one.
    pub fn script(&self) -> Option<&Player> {
        self.script.as_ref()
    }

    /// Events scheduled (messages on the wire and timers).
    pub fn agenda_len(&self) -> usize {
        self.world.agenda.len()
    }

    /// The count a reader at `region` sees: the likes it holds, or, for a
    /// set, the people in it.
    pub fn read(&self, region: RegionId) -> u64 {
        if self.likes.is_set() {
            self.likes.members(region).len() as u64
        } else {
            self.strategy.read(region)
        }
    }

    /// The room's data type.
    pub fn data_type(&self) -> DataType {
        self.config.data_type
    }

    /// Who likes the post, as `region`'s replica sees it (empty for claps).
    pub fn members(&self, region: RegionId) -> &[PersonId] {
        self.likes.members(region)
    }

    /// Which likes, per origin, `region`'s count is made of.
    pub fn tally(&self, region: RegionId) -> Tally {
        self.strategy.tally(region)
    }

    /// The running strategy (for tests and benchmarks that look inside).
    pub fn strategy(&self) -> &dyn Strategy {
        self.strategy.as_ref()
    }

    /// Processes everything due up to `now`, in time order, and moves the
    /// clock to `now`. Time never runs backwards: an earlier `now` is ignored.
    pub fn advance(&mut self, now: Millis) {
        // A scenario's steps are events too: run everything due before a
        // step, then the step, then go on (see `scenario::player`).
        while let Some(step) = self.script.as_ref().and_then(Player::next_at).filter(|&at| at <= now) {
            self.run_events(step);
            if let Some(step) = self.script.as_mut().and_then(|p| p.take_due(step)) {
                scenario::player::play(self, step.action);
            }
        }
        self.run_events(now);
    }

    /// Processes every scheduled event due up to `now`, then moves the clock.
    fn run_events(&mut self, now: Millis) {
        while let Some((at, event)) = self.world.agenda.pop_due(now) {
            self.sample_reads(at);
            self.read_model.run_until(at, &self.likes);
            self.world.now = self.world.now.max(at);
            match event {
                Event::Deliver(envelope) => {
                    let mut deliver = self.world.net.arrive(&envelope);
                    if deliver && !self.world.live(envelope.to) {
                        // A crashed region drops whatever reaches it.
                        self.world.net.count_dropped();
                        deliver = false;
                    }
                    // Recorded before delivery moves the message; whether
                    // it merged is filled in below.
                    let mut record = self.history.is_some().then(|| MsgEvent {
                        from: envelope.from,
                        to: envelope.to,
                        sent_at: envelope.sent_at,
                        end_at: at,
                        label: envelope.msg.label().to_owned(),
                        like: envelope.cause == Cause::Like,
                        fate: if deliver { Fate::Delivered } else { Fate::Lost },
                        dup: envelope.dup,
                        merged: false,
                        saga: false,
                    });
                    if deliver {
                        #[cfg(test)]
                        self.trace.push(oracle::Trace::Deliver {
                            to: envelope.to,
                            carries: envelope.msg.carries(),
                            runs: oracle::runs(&envelope.msg),
                        });
                        let (from, to, sent_at) = (envelope.from, envelope.to, envelope.sent_at);
                        let label = envelope.msg.label();
                        let before = self.strategy.tally(to);
                        self.with_strategy(envelope.cause, |s, ctx| s.deliver(ctx, from, to, envelope.msg));
                        if self.strategy.tally(to) != before {
                            if let Some(m) = record.as_mut() {
                                m.merged = true;
                            }
                            let base = Millis::from(self.world.net.link(from, to).latency_ms);
                            self.ledger.last_change = Some(LastChange {
                                at: self.world.now,
                                region: to,
                                by: label.to_owned(),
                                from: Some(from),
                                travel_ms: Some(self.world.now - sent_at),
                                base_ms: Some(base),
                            });
                        }
                    }
                    if let Some(m) = record {
                        self.record(|| HistoryEvent::Msg(m));
                    }
                }
                Event::Saga(envelope) => self.saga_arrive(*envelope, at),
                Event::SagaTick { region, epoch } => self.saga_tick(region, epoch),
                Event::Timer { region, timer, epoch } => {
                    if self.world.live(region) && self.world.epochs[region.index()] == epoch {
                        let before: Vec<Tally> = RegionId::all().map(|r| self.strategy.tally(r)).collect();
                        self.with_strategy(Cause::Background, |s, ctx| s.timer(ctx, region, timer));
                        self.note_local_changes(&before, "timer");
                    }
                }
            }
            // Messages moving is visible (in-flight counts) even when no
            // count changes.
            self.changed();
        }
        self.world.now = self.world.now.max(now);
        self.sample_reads(self.world.now + 1);
        self.read_model.run_until(self.world.now, &self.likes);
    }

    /// A user at `region` clicks like at time `now` (anonymously: a clap,
    /// or in a room of sets a like by [`crate::people::ANONYMOUS`]).
    pub fn like(&mut self, region: RegionId, now: Millis) -> Result<Accepted, Refusal> {
        self.act(region, Act::Clap, now)
    }

    /// `person` at `region` likes the post at time `now`.
    pub fn like_as(&mut self, region: RegionId, person: PersonId, now: Millis) -> Result<Accepted, Refusal> {
        self.act(region, Act::Like(person), now)
    }

    /// `person` at `region` takes their like back at time `now` (refused
    /// in a room of claps).
    pub fn unlike(&mut self, region: RegionId, person: PersonId, now: Millis) -> Result<Accepted, Refusal> {
        self.act(region, Act::Unlike(person), now)
    }

    /// A user at `region` does `act` at time `now`.
    pub fn act(&mut self, region: RegionId, act: Act, now: Millis) -> Result<Accepted, Refusal> {
        self.advance(now);
        let now = self.world.now;
        let Some(act) = self.config.data_type.normalize(act) else { return Err(Refusal::NotUndoable) };
        let outcome = if !self.world.live(region) {
            Err(Refusal::Unavailable(region))
        } else {
            let before: Vec<Tally> = RegionId::all().map(|r| self.strategy.tally(r)).collect();
            // Log what the operation is before the strategy numbers it.
            let numbered = self.strategy.numbered(region);
            let context = self.context(region);
            self.likes.record(region, numbered, act, context);
            let outcome = self.with_strategy(Cause::Like, |s, ctx| s.act(ctx, region, act));
            match outcome {
                Ok(accepted) => self.likes.taken(region, act, accepted == Accepted::Now),
                Err(_) => self.likes.unrecord(region),
            }
            self.note_local_changes(&before, "local");
            outcome
        };
        let ok = outcome.is_ok();
        self.record(|| HistoryEvent::Like { region, at: now, ok });
        match outcome {
            Ok(accepted) => {
                #[cfg(test)]
                {
                    self.trace.push(oracle::Trace::Like(region));
                    if let Act::Like(person) | Act::Unlike(person) = act {
                        self.trace.push(oracle::Trace::Person {
                            origin: region,
                            person,
                            like: matches!(act, Act::Like(_)),
                        });
                    }
                }
                self.ledger.taken(region, now, accepted == Accepted::Now);
                self.last_write_at = Some(now);
                self.disturb("the last like");
                let reference = self.like_reference(region);
                let replace_all = self.strategy.references_replace();
                self.ledger.references.like(region, reference, replace_all);
            }
            Err(_) => self.ledger.refused_now(),
        }
        self.changed();
        outcome
    }

    /// What `region` had seen when it took an operation: its run per
    /// origin, or the highest operation per origin of its register.
    fn context(&self, region: RegionId) -> VersionVector {
        match self.strategy.register_dots(region) {
            Some(dots) => {
                let mut top = Tally::default();
                for d in dots.iter() {
                    top.set(d.region, top.get(d.region).max(d.n));
                }
                VersionVector::from_counts(top.slots())
            }
            None => VersionVector::from_counts(self.strategy.holdings(region).slots()),
        }
    }

    /// Advances until the room settles, or `limit` ms of simulated time
    /// passed; returns whether it settled.
    pub fn settle(&mut self, limit: Millis) -> bool {
        let end = self.world.now + limit;
        while !self.is_settled() {
            match self.world.agenda.next_at() {
                Some(at) if at <= end => self.advance(at),
                _ => {
                    self.advance(end);
                    return self.is_settled();
                }
            }
        }
        true
    }

    /// Runs a strategy hook with a context over this simulation's world,
    /// then records the likes it acknowledged or refused.
    fn with_strategy<T>(&mut self, cause: Cause, f: impl FnOnce(&mut dyn Strategy, &mut Ctx) -> T) -> T {
        let mut outcomes = Vec::new();
        let mut ctx = self.world.ctx(&mut outcomes, cause);
        let out = f(self.strategy.as_mut(), &mut ctx);
        self.settle_outcomes(outcomes);
        out
    }

    /// Records what became of likes that were answered "pending".
    fn settle_outcomes(&mut self, outcomes: Vec<Outcome>) {
        for outcome in outcomes {
            match outcome {
                Outcome::Acknowledged(r) => {
                    self.ledger.acknowledged_later(r);
                    self.likes.acknowledged_later(r);
                }
                Outcome::Refused(r) => {
                    self.likes.refused_later(r);
                    #[cfg(test)]
                    self.trace.push(oracle::Trace::Refused(r));
                    self.ledger.refused_later(r);
                }
                Outcome::NotSent { from, to, label, like } => {
                    let at = self.world.now;
                    self.record(|| {
                        HistoryEvent::Msg(MsgEvent {
                            from,
                            to,
                            sent_at: at,
                            end_at: at,
                            label: label.to_owned(),
                            like,
                            fate: Fate::Refused,
                            dup: false,
                            merged: false,
                            saga: false,
                        })
                    });
                }
            }
        }
    }

    /// Records a change made by something other than a message (a local
    /// like, a batch commit) as the last change, if there was one.
    fn note_local_changes(&mut self, before: &[Tally], by: &str) {
        if let Some(region) = RegionId::all().find(|r| self.strategy.tally(*r) != before[r.index()]) {
            self.ledger.last_change = Some(LastChange {
                at: self.world.now,
                region,
                by: by.to_owned(),
                from: None,
                travel_ms: None,
                base_ms: None,
            });
        }
    }

    fn sample_reads(&mut self, until: Millis) {
        // Called before every event: read the replicas only when a grid
        // point was crossed.
        if !self.ledger.reads_due(until) {
            return;
        }
        // For a set, a read is stale when it lacks an acknowledged like or
        // unlike: the ledger counts operations, so compare those.
        let held = |r: RegionId| {
            if self.likes.is_set() {
                self.strategy.tally(r).sum()
            } else {
                self.read(r)
            }
        };
        let reads: Vec<u64> = RegionId::all().filter(|&r| self.world.live(r)).map(held).collect();
        self.ledger.sample_reads(until, reads.into_iter());
    }

    /// The timing reference of a like just taken at `region`, over the
    /// network as it is now (shortest paths over six nodes: cheap to redo).
    fn like_reference(&self, region: RegionId) -> Option<Reference> {
        let paths = self.world.paths();
        let rc = RefCtx { now: self.world.now, paths: &paths, crashed: &self.world.crashed };
        self.strategy.reference(region, &rc)
    }

    /// Something that can move replica counts happened now: a like, a heal,
    /// a restart or a switch. A room that had settled starts a new episode.
    fn disturb(&mut self, by: &'static str) {
        let now = self.world.now;
        if matches!(self.consistency, Consistency::Settled { .. }) {
            self.ledger.references.clear();
            self.ledger.last_change = None;
            self.consistency = Consistency::Settling { since: now };
        }
        self.ledger.disturb(now, by);
    }

    /// The reference of a repair after a heal, a restart or a switch: every
    /// live region that lacks likes another holds gets them, at the
    /// earliest, from a holder's next send along the shortest path, or from
    /// a message already on its way. `None` while some such region cannot be
    /// reached by any holder.
    fn repair_reference(&self) -> Option<Reference> {
        let now = self.world.now;
        let paths = self.world.paths();
        let live: Vec<RegionId> = RegionId::all().filter(|&r| self.world.live(r)).collect();
        let mut worst: Option<Reference> = None;
        for &r in &live {
            let holders: Vec<RegionId> =
                live.iter().copied().filter(|&x| x != r && self.strategy.can_teach(x, r)).collect();
            if holders.is_empty() {
                continue;
            }
            let mut best: Option<(Millis, Millis, RegionId, &str)> = None;
            let mut unreachable = false;
            for &x in &holders {
                let Some(send) = self.strategy.next_send(x, now) else { continue };
                let Some(d) = paths.get(x, r) else {
                    unreachable = true;
                    continue;
                };
                let at = send.max(now) + d;
                if best.is_none_or(|b| at < b.0) {
                    best = Some((at, d, x, "repair"));
                }
            }
            // A message on its way may start a relay sooner: it lands, and
            // its receiver passes it on (at the earliest, at once).
            for e in self.world.agenda.envelopes() {
                if !self.changes_something(e.from, e.to, e.lost, &e.msg) {
                    continue;
                }
                let Some(d) = paths.get(e.to, r) else { continue };
                let at = e.arrive_at + d;
                if best.is_none_or(|b| at < b.0) {
                    let travel = e.arrive_at.saturating_sub(now) + d;
                    best = Some((at, travel, e.from, "message on its way"));
                }
            }
            match best {
                Some((at, d, x, how)) if worst.as_ref().is_none_or(|w| at > w.at) => {
                    let path = crate::strategy::path_text(x, r);
                    worst = Some(Reference::new(now, at - now - d, d, path, how));
                }
                None if unreachable => return None,
                _ => {}
            }
        }
        // Nothing left to carry: the floor is what already happened.
        let done = self.ledger.last_change.as_ref().map_or(now, |c| c.at).max(self.ledger.disturbed_at.unwrap_or(0));
        Some(worst.unwrap_or_else(|| Reference::new(done.min(now), 0, 0, String::new(), "nothing left to carry")))
    }

    /// The one place that marks a change: viewers get a new frame, and the
    /// room is judged again.
    fn changed(&mut self) {
        self.version += 1;
        self.likes.refresh(self.strategy.as_ref());
        self.read_model.observe(self.world.now, self.strategy.as_ref(), &self.likes);
        self.observe();
        if self.history.is_some() {
            let values: [u64; RegionId::COUNT] =
                std::array::from_fn(|i| RegionId::all().nth(i).map_or(0, |r| self.read(r)));
            let (now, truth) = (self.world.now, self.ledger.truth.total);
            if let Some(h) = self.history.as_mut() {
                h.counts(now, values, truth);
            }
        }
    }

    /// Times newly visible likes and checks whether the room settled.
    fn observe(&mut self) {
        let now = self.world.now;
        let tallies: Vec<Tally> = self.live_tallies().collect();
        if self.ledger.per_like {
            let shown = tallies.iter().copied().reduce(|a, b| a.min(&b)).unwrap_or_default();
            self.ledger.see(&shown, now);
        }
        let settled = self.settled_with(&tallies);
        match self.consistency {
            Consistency::Settling { .. } if settled => {
                let timing = self.episode_timing();
                let correct = if self.likes.is_set() {
                    self.judge_set(true).lost == Some(0)
                } else {
                    self.judge().iter().all(|j| j.lost == 0 && j.double_counted == 0)
                };
                self.consistency =
                    Consistency::Settled { since: now, took_ms: timing.as_ref().map(|t| t.measured_ms), correct };
                if timing.is_some() {
                    self.timing = timing;
                }
            }
            Consistency::Settled { .. } if !settled => {
                self.consistency = Consistency::Settling { since: now };
            }
            _ => {}
        }
    }

    fn live_tallies(&self) -> impl Iterator<Item = Tally> + '_ {
        RegionId::all().filter(|&r| self.world.live(r)).map(|r| self.strategy.tally(r))
    }

    /// Whether nothing can change any replica any more (see [`Verdict::settled`]).
    pub fn is_settled(&self) -> bool {
        let tallies: Vec<Tally> = self.live_tallies().collect();
        self.settled_with(&tallies)
    }

    /// [`Simulation::is_settled`], given the live replicas' tallies.
    fn settled_with(&self, tallies: &[Tally]) -> bool {
        // Cheapest checks first: this runs after every event.
        if self.world.crashed.iter().any(|&c| c) {
            return false;
        }
        if self.strategy.repairs() && tallies.iter().any(|t| *t != tallies[0]) {
            return false;
        }
        // Registers of a set are not runs: equal counts may hide different
        // operations.
        let registers = RegionId::all().any(|r| self.strategy.register_dots(r).is_some());
        if self.likes.is_set() && self.strategy.repairs() && registers {
            let live: Vec<RegionId> = RegionId::all().filter(|&r| self.world.live(r)).collect();
            if live.windows(2).any(|w| !self.likes.same_ops(w[0], w[1])) {
                return false;
            }
        }
        if self.world.agenda.envelopes().any(|e| self.changes_something(e.from, e.to, e.lost, &e.msg)) {
            return false;
        }
        self.strategy.pending().is_empty()
    }

    /// Whether a message on the wire will still change something when it lands.
    fn changes_something(&self, from: RegionId, to: RegionId, lost: bool, msg: &Message) -> bool {
        !lost && self.world.live(to) && !self.world.net.link(from, to).cut && self.strategy.would_change(from, to, msg)
    }

    /// The timing of the episode that just settled.
    fn episode_timing(&self) -> Option<Timing> {
        let from_ms = self.ledger.disturbed_at?;
        // A change from before the clock started belongs to an earlier
        // episode: nothing changed in this one.
        let last = self.ledger.last_change.clone().filter(|c| c.at >= from_ms);
        let end = last.as_ref().map_or(from_ms, |c| c.at.max(from_ms));
        let measured_ms = end - from_ms;
        let reference = self.ledger.references.current();
        let reference_ms = reference.as_ref().map(|r| r.at.saturating_sub(from_ms));
        let extra = verdict::explain(measured_ms, reference_ms, last.as_ref());
        let from_what = self.ledger.disturbed_by.to_owned();
        Some(Timing { from_ms, from_what, measured_ms, reference, reference_ms, last_change: last, extra })
    }

    /// Each origin's likes against what the live replicas hold.
    fn judge(&self) -> Vec<OriginJudgement> {
        let tallies: Vec<Tally> = self.live_tallies().collect();
        let truth = &self.ledger.truth;
        RegionId::all()
            .map(|o| {
                let acknowledged = truth.per_region[o.index()];
                let in_doubt = truth.in_doubt[o.index()];
                let held = tallies.iter().map(|t| t.get(o));
                let fewest_held = held.clone().min().unwrap_or(0);
                let most_held = held.max().unwrap_or(0);
                OriginJudgement {
                    origin: o,
                    acknowledged,
                    fewest_held,
                    most_held,
                    lost: acknowledged.saturating_sub(fewest_held),
                    double_counted: most_held.saturating_sub(acknowledged + in_doubt),
                }
            })
            .filter(|j| j.acknowledged + j.most_held > 0)
            .collect()
    }

    /// A room of sets, judged by membership (see [`likes`]).
    fn judge_set(&self, settled: bool) -> SetVerdict {
        let live: Vec<RegionId> = RegionId::all().filter(|&r| self.world.live(r)).collect();
        let members: Vec<&[PersonId]> = live.iter().map(|&r| self.likes.members(r)).collect();
        likes::judge(&self.likes, settled, &members, &live)
    }

    /// What the room waits for before it can be judged, in words.
    fn pending(&self) -> Vec<Pending> {
        let mut out = Vec::new();
        for r in RegionId::all().filter(|&r| !self.world.live(r)) {
            out.push(Pending { count: 1, what: format!("{} is down: judged once it restarts", r.info().city) });
        }
        let wire = self.world.agenda.envelopes().filter(|e| self.changes_something(e.from, e.to, e.lost, &e.msg));
        match wire.count() as u64 {
            0 => {}
            1 => out.push(Pending { count: 1, what: "1 message on the wire will still change a replica".into() }),
            n => out.push(Pending { count: n, what: format!("{n} messages on the wire will still change a replica") }),
        }
        out.extend(self.strategy.pending());
        if self.strategy.repairs() {
            if let Some(gap) = self.widest_gap() {
                out.push(gap);
            }
        }
        out
    }

    /// The largest difference between two live replicas, in words.
    fn widest_gap(&self) -> Option<Pending> {
        let live: Vec<RegionId> = RegionId::all().filter(|&r| self.world.live(r)).collect();
        let tallies: Vec<Tally> = RegionId::all().map(|r| self.strategy.tally(r)).collect();
        let cut_off = if self.world.connected() { "" } else { ", cut off until the partition heals" };
        if !self.strategy.keeps_each_like() && self.likes.is_set() {
            // Whole sets written over each other: say who disagrees.
            let (a, b) =
                live.iter().find_map(|&a| live.iter().find(|&&b| !self.likes.same_ops(a, b)).map(|&b| (a, b)))?;
            return Some(Pending {
                count: 1,
                what: format!("{} and {} disagree on who likes the post{cut_off}", a.info().city, b.info().city),
            });
        }
        if !self.strategy.keeps_each_like() {
            let lo = live.iter().min_by_key(|r| tallies[r.index()].sum())?;
            let hi = live.iter().max_by_key(|r| tallies[r.index()].sum())?;
            if tallies[lo.index()] == tallies[hi.index()] {
                return None;
            }
            return Some(Pending {
                count: 1,
                what: format!(
                    "{} still shows {} where {} shows {}{cut_off}",
                    lo.info().city,
                    tallies[lo.index()].sum(),
                    hi.info().city,
                    tallies[hi.index()].sum()
                ),
            });
        }
        let mut best: Option<(u64, RegionId, RegionId)> = None;
        for &r in &live {
            for o in RegionId::all() {
                let top = live.iter().map(|x| tallies[x.index()].get(o)).max().unwrap_or(0);
                let gap = top.saturating_sub(tallies[r.index()].get(o));
                if gap > 0 && best.is_none_or(|b| gap > b.0) {
                    best = Some((gap, r, o));
                }
            }
        }
        let (gap, r, o) = best?;
        // "has not heard 1 of Tokyo's likes": the noun agrees with Tokyo's
        // likes, not with the gap.
        let noun = if self.likes.is_set() { "likes and unlikes" } else { "likes" };
        Some(Pending {
            count: gap,
            what: format!("{} has not heard {gap} of {}'s {noun} yet{cut_off}", r.info().city, o.info().city),
        })
    }

    /// The verdict on the running strategy, right now.
    pub fn verdict(&self) -> Verdict {
        let values: Vec<u64> = RegionId::all().map(|r| self.read(r)).collect();
        let truth = &self.ledger.truth;
        let settled = self.is_settled();
        let is_set = self.likes.is_set();
        let set = is_set.then(|| self.judge_set(settled));
        // A set is judged by membership, not by operations per origin, and
        // cannot count anyone twice (see `likes::NO_DOUBLE_COUNT`).
        let per_origin = if settled && !is_set { self.judge() } else { Vec::new() };
        let lost = match &set {
            Some(s) => s.lost,
            None => settled.then(|| per_origin.iter().map(|j| j.lost).sum::<u64>()),
        };
        let double_counted = (settled && !is_set).then(|| per_origin.iter().map(|j| j.double_counted).sum::<u64>());
        let lost_to_skew = match (lost, self.strategy.keeps_each_like()) {
            (Some(l), false) => Some(l.min(self.strategy.skew_overwrites())),
            _ => None,
        };
        let visibility = self.ledger.per_like.then(|| {
            let sorted = self.ledger.visibility.sorted();
            Visibility {
                samples: sorted.len() as u64,
                p50_ms: verdict::percentile(sorted, 0.5),
                p99_ms: verdict::percentile(sorted, 0.99),
                max_ms: sorted.last().copied(),
                unseen: self.ledger.unseen(),
            }
        });
        let stats = self.world.net.stats();
        let likes = self.ledger.likes_since_switch;
        let per_like = |x: u64| (likes > 0).then(|| x as f64 / likes as f64);
        let elapsed_s = self.world.now.saturating_sub(self.ledger.strategy_since) as f64 / 1000.0;
        let per_s = |x: u64| (elapsed_s >= 1.0).then(|| x as f64 / elapsed_s);
        // Bytes are priced for the claps encoding; a set's operation also
        // carries a person and a context, so for sets they are not shown.
        let bytes = |x: Option<f64>| if is_set { None } else { x };
        Verdict {
            acknowledged: truth.total,
            in_doubt: truth.in_doubt.iter().sum(),
            refused: truth.refused,
            values,
            settled,
            pending: if settled { Vec::new() } else { self.pending() },
            lost,
            double_counted,
            per_origin,
            lost_to_skew,
            destroyed_in_crashes: self.ledger.destroyed_in_crashes,
            timing: self.timing.clone(),
            visibility,
            reads: self.ledger.reads,
            stale_reads: self.ledger.stale_reads,
            like_messages_per_like: per_like(stats.like_messages),
            like_bytes_per_like: bytes(per_like(stats.like_bytes)),
            background_messages_per_s: per_s(stats.messages - stats.like_messages),
            background_bytes_per_s: bytes(per_s(stats.bytes - stats.like_bytes)),
            bytes_saved: if is_set { 0 } else { self.strategy.bytes_saved() },
            durable: self.config.durable,
            last_switch: self.ledger.last_switch.clone(),
            data_type: self.config.data_type,
            set,
            sagas: self.saga_verdict(),
        }
    }

    /// A picture of the room right now, listing at most
    /// [`MAX_PACKETS_IN_VIEW`] messages in flight.
    pub fn view(&self) -> SimView {
        self.view_listing(MAX_PACKETS_IN_VIEW)
    }

    /// A picture of the room right now, listing the `max_packets`
    /// soonest-arriving messages in flight (every message is still counted
    /// per link).
    pub fn view_listing(&self, max_packets: usize) -> SimView {
        let truth_total = self.ledger.truth.total;
        let replicas = RegionId::all()
            .map(|r| {
                let value = self.read(r);
                // For a set the truth counts operations: compare those held.
                let held = if self.likes.is_set() { self.strategy.tally(r).sum() } else { value };
                let (ops, tombstones) = self.likes.size(r);
                ReplicaView {
                    region: r,
                    value,
                    behind: truth_total as i64 - held as i64,
                    members: self.likes.is_set().then(|| self.likes.members(r).to_vec()),
                    ops: self.likes.is_set().then_some(ops),
                    tombstones: self.likes.is_set().then_some(tombstones),
                    in_flight_out: RegionId::all().map(|to| self.world.net.in_flight(r, to)).sum(),
                    crashed: !self.world.live(r),
                    available: self.available(r),
                }
            })
            .collect();
        let links = RegionId::all()
            .flat_map(|from| RegionId::all().map(move |to| (from, to)))
            .filter_map(|(from, to)| {
                let in_flight = self.world.net.in_flight(from, to);
                (in_flight > 0).then_some(LinkView { from, to, in_flight })
            })
            .collect();
        // Pick the soonest-arriving envelopes first and only then build their
        // views: a busy room has thousands on the wire, and a view allocates.
        let mut soonest: Vec<_> = self.world.agenda.envelopes().collect();
        if soonest.len() > max_packets {
            soonest.select_nth_unstable_by_key(max_packets, |e| (e.arrive_at, e.sent_at));
            soonest.truncate(max_packets);
        }
        let mut packets: Vec<PacketView> = soonest
            .into_iter()
            .map(|e| PacketView {
                from: e.from,
                to: e.to,
                sent_at: e.sent_at,
                arrive_at: e.arrive_at,
                kind: e.msg.kind(),
                lost: e.lost,
                label: e.msg.label().to_owned(),
                background: e.cause == Cause::Background,
                news: self.changes_something(e.from, e.to, e.lost, &e.msg),
                saga: false,
            })
            .collect();
        // A super like's saga messages cross the same links, for the map to
        // draw in their own colour; the list keeps the `max_packets`
        // soonest-arriving of both kinds.
        let sagas: Vec<_> = self.world.agenda.saga_envelopes().collect();
        let saga_in_flight = sagas.len() as u32;
        packets.extend(sagas.into_iter().map(|e| PacketView {
            from: e.from,
            to: e.to,
            sent_at: e.sent_at,
            arrive_at: e.arrive_at,
            kind: crate::kernel::MessageKind::State,
            lost: e.lost,
            label: e.msg.label(),
            background: false,
            news: false,
            saga: true,
        }));
        packets.sort_by_key(|p| (p.arrive_at, p.sent_at, p.from, p.to));
        packets.truncate(max_packets);
        let live_values = RegionId::all().filter(|&r| self.world.live(r)).map(|r| self.read(r));
        let (lo, hi) = live_values.fold((u64::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)));
        SimView {
            now_ms: self.world.now,
            strategy: self.strategy.kind(),
            strategy_config: Some(self.config.strategy.clone()),
            data_type: self.config.data_type,
            truth: self.ledger.truth.clone(),
            replicas,
            divergence: hi.saturating_sub(lo.min(hi)),
            consistency: self.consistency,
            last_write_at: self.last_write_at,
            in_flight: self.world.net.total_in_flight(),
            saga_in_flight,
            links,
            packets,
            net: self.world.net.stats().clone(),
            verdict: self.verdict(),
            faults: self.fault_view(),
            stages: self.strategy.stages(),
            read_model: self.read_model.view(self.world.now),
            sagas: self.sagas_view(),
            scenario: self.script.as_ref().map(|p| p.view(self.is_settled())),
        }
    }

    fn fault_view(&self) -> FaultView {
        let room = self.world.room_links;
        let mut view = FaultView {
            loss: room.loss,
            duplicate: room.duplicate,
            // The room-wide jitter, or the natural jitter of the longest link
            // (natural jitter grows with the delay).
            jitter_ms: room.link(self.world.latency.max()).jitter_ms,
            natural_jitter: room.jitter_ms.is_none(),
            durable: self.config.durable,
            ..FaultView::default()
        };
        for from in RegionId::all() {
            for to in RegionId::all().filter(|&to| to != from) {
                if self.world.net.link(from, to).cut {
                    view.cut.push(LinkRef { from, to });
                }
            }
        }
        view.custom = self
            .world
            .custom_links
            .iter()
            .map(|&(from, to)| LinkSetting {
                link: LinkRef { from, to },
                conditions: crate::kernel::network::LinkConditions {
                    cut: false,
                    ..self.world.net.link(from, to).clone()
                },
            })
            .collect();
        view
    }
}

#[cfg(test)]
mod history_tests;
#[cfg(test)]
mod oracle;
#[cfg(test)]
mod reproductions;
#[cfg(test)]
mod saga_tests;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod tests;
