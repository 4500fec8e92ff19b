//! The "who liked" read model: CQRS, with the replicas as the command side.
//!
//! # What CQRS is, here
//! Command/query responsibility segregation splits a system in two. The
//! **command side** takes writes and decides whether they happen — here,
//! the six replicas taking likes and unlikes under the room's strategy. The
//! **query side** answers reads from a *projection*: a copy shaped for the
//! question it answers ("who likes this post?"), built from the events the
//! command side produced, by a separate job called a **projector**. The
//! projection is derived data: it can always be thrown away and rebuilt from
//! the events. The price is that it trails the command side — a read model is
//! eventually consistent with its writes even when the writes themselves are
//! strongly consistent — and the lab shows by how much.
//!
//! # Where the projector reads from
//! The projector subscribes to a **change feed**: every like and unlike that
//! some replica holds, each named by its operation id (its [`Dot`]), in the
//! order they appear. An operation enters the feed the moment the first
//! replica holds it (usually the origin, as it takes the click) and stays
//! while any replica, up or down, still holds it. It leaves the feed only
//! when the command side forgets it everywhere: a crash of a region without
//! durability that held it alone, a pending like the leader refused, or a
//! register that last writer wins overwrote on every replica.
//!
//! Reading the replicas' holdings rather than the clicks keeps the read model
//! honest: it never shows a like the command side does not have (for longer
//! than one rebuild), and once the replicas agree and the feed is still, it
//! shows exactly their membership.
//!
//! # When it rebuilds
//! A lab knob, `interval_ms`, says how often the projector runs:
//! - `0` — **on every event**: it applies each operation as it enters the
//!   feed, and its lag is always zero;
//! - `N > 0` — at every multiple of `N` ms of simulated time. The run at
//!   time `T` applies every operation that entered the feed **before** `T`
//!   (it runs before anything else that happens at `T`).
//!
//! A run normally applies only what is new (an incremental projection). If
//! the command side forgot an operation the projection already shows, the
//! next run throws the projection away and rebuilds it from the whole feed —
//! the read model is derived, so nothing is lost by starting over. The view
//! counts those rebuilds.
//!
//! # Lag, precisely
//! - **events behind**: operations in the feed now that the projection has
//!   not applied;
//! - **ms behind**: now minus the moment the oldest of those entered the
//!   feed; 0 when none.
//!
//! Both are checked against an independent recomputation from snapshots of
//! the replicas' holdings (`oracle::read_model`).

use super::likes::Likes;
use crate::crdt::{Dot, LikeSet, PersonId, Replicated};
use crate::kernel::{Dots, Millis, Tally};
use crate::region::RegionId;
use crate::strategy::Strategy;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

impl super::Simulation {
    /// Sets how often the read model is rebuilt (0: on every event), at
    /// the current time. The protocol caps it at one simulated minute
    /// ([`crate::protocol::MAX_CONTROL_MS`]).
    pub fn set_read_model_interval(&mut self, interval_ms: Millis) {
        self.config.read_model_ms = interval_ms;
        let now = self.now();
        self.read_model.set_interval(interval_ms, now, &self.likes);
        self.changed();
    }

    /// The read model as viewers see it (`None` in a room of claps).
    pub fn read_model(&self) -> Option<ReadModelView> {
        self.read_model.view(self.now())
    }
}

/// The rebuild interval a room starts with.
pub const DEFAULT_INTERVAL_MS: Millis = 2_000;

/// What the replicas hold, as the feed sees it: for strategies that keep
/// runs, the longest run of each origin any replica holds; for last writer
/// wins, whose registers are sets of operations, their union.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Feed {
    Runs(Tally),
    Dots(BTreeSet<Dot>),
}

impl Feed {
    fn read(strategy: &dyn Strategy) -> Feed {
        if RegionId::all().any(|r| strategy.register_dots(r).is_some()) {
            let mut dots = BTreeSet::new();
            for r in RegionId::all() {
                if let Some(d) = strategy.register_dots(r) {
                    dots.extend(d.iter().copied());
                }
            }
            Feed::Dots(dots)
        } else {
            Feed::Runs(RegionId::all().fold(Tally::default(), |acc, r| acc.max(&strategy.tally(r))))
        }
    }

    fn dots(&self) -> Box<dyn Iterator<Item = Dot> + '_> {
        match self {
            Feed::Runs(t) => {
                Box::new(RegionId::all().flat_map(move |o| (1..=t.get(o)).map(move |n| Dot { region: o, n })))
            }
            Feed::Dots(d) => Box::new(d.iter().copied()),
        }
    }

    /// Operations in `self` and not in `other`.
    fn minus<'a>(&'a self, other: &'a Feed) -> Vec<Dot> {
        match (self, other) {
            (Feed::Runs(a), Feed::Runs(b)) => {
                RegionId::all().flat_map(|o| (b.get(o) + 1..=a.get(o)).map(move |n| Dot { region: o, n })).collect()
            }
            (Feed::Dots(a), Feed::Dots(b)) => a.difference(b).copied().collect(),
            _ => {
                let theirs: BTreeSet<Dot> = other.dots().collect();
                self.dots().filter(|d| !theirs.contains(d)).collect()
            }
        }
    }
}

/// The projector and its projection (empty in a room of claps, which has
/// no people to list).
#[derive(Debug, Clone)]
pub(crate) struct ReadModel {
    interval_ms: Millis,
    /// The projection; `None` in a room of claps.
    set: Option<LikeSet>,
    members: Vec<PersonId>,
    /// Operations the projection has applied.
    applied: BTreeSet<Dot>,
    /// The feed as last observed.
    feed: Feed,
    /// The registers it was read from, for strategies that keep registers
    /// (see `observe`); empty otherwise.
    registers: Vec<Option<Dots>>,
    /// Operations in the feed not applied yet, with when each entered it.
    behind: BTreeMap<Dot, Millis>,
    /// The projection shows an operation the command side forgot (or whose
    /// number it reused): the next run starts over.
    stale: bool,
    /// The log's truncation count when last observed (see `Likes::record`).
    generation: u64,
    /// When the projector last ran, and how many times it started over.
    ran_at: Option<Millis>,
    rebuilds: u64,
}

impl ReadModel {
    pub(crate) fn new(interval_ms: Millis, likes: &Likes) -> ReadModel {
        ReadModel {
            interval_ms,
            set: likes.data_type.bias().map(LikeSet::new),
            members: Vec::new(),
            applied: BTreeSet::new(),
            feed: Feed::Runs(Tally::default()),
            registers: Vec::new(),
            behind: BTreeMap::new(),
            stale: false,
            generation: likes.generation(),
            ran_at: None,
            rebuilds: 0,
        }
    }

    /// Changes the interval at `now`; "on every event" catches up at once.
    pub(crate) fn set_interval(&mut self, interval_ms: Millis, now: Millis, likes: &Likes) {
        self.interval_ms = interval_ms;
        if interval_ms == 0 {
            self.run(now, likes);
        }
    }

    /// Runs every rebuild due before anything happens at `at` (the runs at
    /// multiples of the interval up to and including `at`). Between two
    /// observed changes the feed stands still, so the runs due collapse
    /// into one: the last.
    pub(crate) fn run_until(&mut self, at: Millis, likes: &Likes) {
        if self.set.is_none() || self.interval_ms == 0 {
            return;
        }
        let last = at / self.interval_ms * self.interval_ms;
        if last == 0 || self.ran_at.is_some_and(|r| r >= last) {
            return;
        }
        self.run(last, likes);
    }

    /// Observes the command side after a change at `now`: what entered the
    /// feed, what left it.
    pub(crate) fn observe(&mut self, now: Millis, strategy: &dyn Strategy, likes: &Likes) {
        if self.set.is_none() {
            return;
        }
        if !self.grow_feed(now, strategy) {
            self.read_feed(now, strategy);
        }
        if likes.generation() != self.generation {
            // A number was taken again for another operation: what the
            // projection applied under it may not be what the log now says.
            self.generation = likes.generation();
            self.stale = true;
        }
        if self.interval_ms == 0 && (self.stale || !self.behind.is_empty()) {
            self.run(now, likes);
        }
    }

    /// The feed of a strategy that keeps registers (last writer wins), when
    /// every register that changed since the last look only gained
    /// operations (the usual case: a newer register holds what the older
    /// one did): then nothing left the feed, and what entered it is what
    /// those registers gained. Returns whether it could tell; if not (a
    /// register lost operations, or the strategy keeps no registers), the
    /// feed must be read whole. Reading it whole at every event — the union
    /// of every register — made each event cost time linear in the people
    /// who ever liked: 6.8 ms a like at 10 000 made-up people.
    fn grow_feed(&mut self, now: Millis, strategy: &dyn Strategy) -> bool {
        let Feed::Dots(feed) = &mut self.feed else { return false };
        let registers: Vec<Option<Dots>> = RegionId::all().map(|r| strategy.register_dots(r).cloned()).collect();
        if registers.len() != self.registers.len() {
            return false;
        }
        let mut changed = Vec::new();
        for (old, new) in self.registers.iter().zip(&registers) {
            match (old, new) {
                (Some(old), Some(new)) if std::sync::Arc::ptr_eq(old, new) => {}
                (Some(old), Some(new)) if old.is_subset(new) => changed.push((old, new)),
                _ => return false,
            }
        }
        for (old, new) in changed {
            for dot in new.difference(old) {
                if feed.insert(*dot) && !self.applied.contains(dot) {
                    self.behind.insert(*dot, now);
                }
            }
        }
        self.registers = registers;
        true
    }

    /// Reads the whole feed and notes what entered and left it.
    fn read_feed(&mut self, now: Millis, strategy: &dyn Strategy) {
        self.registers = RegionId::all().map(|r| strategy.register_dots(r).cloned()).collect();
        if self.registers.iter().all(Option::is_none) {
            self.registers.clear();
        }
        let feed = Feed::read(strategy);
        if feed != self.feed {
            for dot in feed.minus(&self.feed) {
                if !self.applied.contains(&dot) {
                    self.behind.insert(dot, now);
                }
            }
            for dot in self.feed.minus(&feed) {
                self.behind.remove(&dot);
                if self.applied.contains(&dot) {
                    self.stale = true;
                }
            }
            self.feed = feed;
        }
    }

    /// One run of the projector at time `at`.
    fn run(&mut self, at: Millis, likes: &Likes) {
        let Some(set) = self.set.as_mut() else { return };
        self.ran_at = Some(at);
        if self.stale {
            *set = LikeSet::new(set.bias());
            self.applied.clear();
            self.behind.clear();
            for dot in self.feed.dots() {
                if let Some(op) = likes.op(dot) {
                    set.apply(op);
                }
                self.applied.insert(dot);
            }
            self.stale = false;
            self.rebuilds += 1;
        } else {
            if self.behind.is_empty() {
                return;
            }
            for dot in std::mem::take(&mut self.behind).into_keys() {
                if let Some(op) = likes.op(dot) {
                    set.apply(op);
                }
                self.applied.insert(dot);
            }
        }
        self.members = set.members();
    }

    /// The projection, its lag at `now`, and the knob (`None` for claps).
    pub(crate) fn view(&self, now: Millis) -> Option<ReadModelView> {
        self.set.as_ref()?;
        Some(ReadModelView {
            interval_ms: self.interval_ms,
            count: self.members.len() as u64,
            members: self.members.clone(),
            behind_events: self.behind.len() as u64,
            behind_ms: self.behind.values().min().map_or(0, |&t| now.saturating_sub(t)),
            stale: self.stale,
            ran_at: self.ran_at,
            rebuilds: self.rebuilds,
        })
    }
}

/// The read model as viewers see it (see the module docs for every field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadModelView {
    /// How often the projector runs; 0: on every event.
    pub interval_ms: Millis,
    /// Who likes the post, as the read model answers, in id order.
    pub members: Vec<PersonId>,
    pub count: u64,
    /// Operations in the feed the projection has not applied.
    pub behind_events: u64,
    /// How long the oldest of them has waited; 0 when none.
    pub behind_ms: Millis,
    /// It shows an operation the replicas no longer hold: the next run
    /// rebuilds it from the whole feed.
    #[serde(default)]
    pub stale: bool,
    /// When the projector last ran.
    pub ran_at: Option<Millis>,
    /// How many times it was thrown away and rebuilt from the feed.
    #[serde(default)]
    pub rebuilds: u64,
}

#[cfg(test)]
mod tests {
    //! The oracle here recomputes the read model's lag from snapshots of
    //! what the replicas hold, taken by the test after every step, without
    //! the projector's incremental bookkeeping: the projection after a run
    //! at `T` is the feed as it stood just before `T`; what it lacks now is
    //! the feed now minus that; each lacking operation has waited since it
    //! last entered the feed.
    use super::*;
    use crate::crdt::Act;
    use crate::sim::{DataType, SimConfig, Simulation};
    use crate::strategy::{StrategyConfig, StrategyKind};
    use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    fn room(data_type: DataType, strategy: StrategyConfig, interval_ms: Millis) -> Simulation {
        Simulation::new(SimConfig { data_type, strategy, read_model_ms: interval_ms, ..SimConfig::default() })
    }

    /// Every operation some replica holds, read straight off the strategy.
    fn holdings(sim: &Simulation) -> BTreeSet<Dot> {
        let s = sim.strategy();
        let mut dots = BTreeSet::new();
        for region in RegionId::all() {
            match s.register_dots(region) {
                Some(d) => dots.extend(d.iter().copied()),
                None => {
                    let t = s.tally(region);
                    for o in RegionId::all() {
                        dots.extend((1..=t.get(o)).map(|n| Dot { region: o, n }));
                    }
                }
            }
        }
        dots
    }

    /// A run of a room with a snapshot of the holdings after every step.
    struct Driven {
        sim: Simulation,
        snaps: Vec<(Millis, BTreeSet<Dot>)>,
    }

    impl Driven {
        fn new(sim: Simulation) -> Driven {
            let snaps = vec![(0, holdings(&sim))];
            Driven { sim, snaps }
        }

        fn snap(&mut self) {
            let at = self.sim.now();
            let h = holdings(&self.sim);
            if self.snaps.last().is_some_and(|(t, _)| *t == at) {
                self.snaps.pop();
            }
            self.snaps.push((at, h));
        }

        /// Steps event by event up to `until`, checking the read model
        /// against the oracle after each step.
        fn run_to(&mut self, until: Millis) {
            while let Some(at) = self.sim.next_event_at().filter(|&at| at <= until) {
                self.sim.advance(at);
                self.snap();
                self.check();
            }
            // The runs due between the last event and `until` change what
            // the oracle expects, though no holding moved.
            self.sim.advance(until);
            self.snap();
            self.check();
        }

        fn act(&mut self, region: RegionId, act: Act, at: Millis) {
            self.run_to(at);
            let _ = self.sim.act(region, act, at);
            self.snap();
            self.check();
        }

        /// The feed just before `t`.
        fn before(&self, t: Millis) -> BTreeSet<Dot> {
            self.snaps.iter().rev().find(|(at, _)| *at < t).map(|(_, h)| h.clone()).unwrap_or_default()
        }

        fn check(&self) {
            let Some(view) = self.sim.read_model() else { return };
            let now = self.sim.now();
            let feed = &self.snaps.last().unwrap().1;
            let n = view.interval_ms;
            let applied = if n == 0 || now < n {
                if n == 0 {
                    feed.clone()
                } else {
                    BTreeSet::new()
                }
            } else {
                self.before(now / n * n)
            };
            let lacking: Vec<Dot> = feed.difference(&applied).copied().collect();
            // When each lacking operation last entered the feed.
            let entered = |d: &Dot| {
                let mut since = 0;
                let mut was = false;
                for (at, h) in &self.snaps {
                    let is = h.contains(d);
                    if is && !was {
                        since = *at;
                    }
                    was = is;
                }
                since
            };
            let behind_ms = lacking.iter().map(entered).min().map_or(0, |t| now - t);
            assert_eq!(view.behind_events, lacking.len() as u64, "events behind at {now} (every {n} ms)");
            assert_eq!(view.behind_ms, behind_ms, "ms behind at {now} (every {n} ms)");
        }
    }

    #[test]
    fn the_read_model_lags_by_one_interval_then_catches_up() {
        let mut d = Driven::new(room(DataType::LikesAddWins, StrategyConfig::default(), 2_000));
        d.act(r("tokyo"), Act::Like(1), 100);
        let v = d.sim.read_model().unwrap();
        // Tokyo holds Ana's like; the projector has not run yet.
        assert_eq!((v.count, v.behind_events, v.behind_ms), (0, 1, 0));
        d.run_to(1_500);
        assert_eq!(d.sim.read_model().unwrap().behind_ms, 1_400);
        d.run_to(2_000);
        let v = d.sim.read_model().unwrap();
        assert_eq!((v.members.as_slice(), v.behind_events, v.ran_at), (&[1][..], 0, Some(2_000)));
    }

    #[test]
    fn on_every_event_it_never_lags() {
        let mut d = Driven::new(room(DataType::LikesRemoveWins, StrategyConfig::default(), 0));
        d.act(r("sydney"), Act::Like(3), 10);
        d.act(r("mumbai"), Act::Like(4), 20);
        let v = d.sim.read_model().unwrap();
        assert_eq!((v.members, v.behind_events, v.behind_ms), (vec![3, 4], 0, 0));
    }

    #[test]
    fn a_room_of_claps_has_no_read_model() {
        let mut sim = room(DataType::Claps, StrategyConfig::default(), 1_000);
        sim.like(r("tokyo"), 0).unwrap();
        sim.advance(5_000);
        assert_eq!(sim.read_model(), None);
        assert!(sim.view().read_model.is_none());
    }

    /// The command side forgets a like it had shown (Tokyo, cut off,
    /// crashes without durability before telling anyone): the read model is derived, so
    /// the next run throws it away and rebuilds it from the feed.
    #[test]
    fn when_the_replicas_forget_a_like_the_read_model_is_rebuilt() {
        let strategy = StrategyConfig::default_for(StrategyKind::BackgroundSync);
        let mut d = Driven::new(room(DataType::LikesAddWins, strategy, 1_000));
        d.sim.set_durable(false);
        d.sim.isolate(r("tokyo"));
        d.act(r("tokyo"), Act::Like(1), 10);
        d.act(r("sydney"), Act::Like(2), 20);
        d.run_to(1_000);
        assert_eq!(d.sim.read_model().unwrap().members, vec![1, 2]);
        d.sim.crash(r("tokyo"));
        d.snap();
        let v = d.sim.read_model().unwrap();
        assert!(v.stale, "it shows a like nobody holds any more");
        d.run_to(2_000);
        let v = d.sim.read_model().unwrap();
        assert_eq!((v.members, v.stale, v.rebuilds), (vec![2], false, 1));
    }

    #[test]
    fn it_survives_a_strategy_switch_and_starts_over_with_the_data_type() {
        let mut d = Driven::new(room(DataType::LikesAddWins, StrategyConfig::default(), 500));
        d.act(r("tokyo"), Act::Like(1), 10);
        d.act(r("virginia"), Act::Like(2), 20);
        d.run_to(600);
        d.sim.set_strategy(StrategyConfig::default_for(StrategyKind::LastWriterWins));
        d.snap();
        assert!(d.sim.settle(120_000));
        let t = d.sim.now() + 500;
        d.run_to(t);
        let v = d.sim.read_model().unwrap();
        assert_eq!(v.members, d.sim.members(r("tokyo")).to_vec());
        d.sim.set_data_type(DataType::LikesRemoveWins);
        let v = d.sim.read_model().unwrap();
        assert_eq!((v.count, v.behind_events, v.interval_ms), (0, 0, 500));
    }

    #[test]
    fn the_interval_is_a_logged_control() {
        let mut sim = room(DataType::LikesAddWins, StrategyConfig::default(), 5_000);
        sim.like_as(r("tokyo"), 1, 10).unwrap();
        sim.advance(100);
        assert_eq!(sim.read_model().unwrap().count, 0);
        sim.apply(crate::protocol::Control::SetReadModel(0));
        let v = sim.read_model().unwrap();
        assert_eq!((v.count, v.interval_ms, sim.config().read_model_ms), (1, 0, 0));
    }

    fn kinds() -> impl proptest::strategy::Strategy<Value = StrategyKind> {
        proptest::sample::select(StrategyKind::ALL.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Under every strategy and rule, with likes and unlikes at random
        /// regions and times: the lag is exactly the oracle's at every step,
        /// and once the events stop, the room settles and an interval
        /// passes, the read model shows exactly the replicas' membership.
        #[test]
        fn lag_is_exact_and_the_read_model_converges_to_the_replicas(
            kind in kinds(),
            remove_wins in any::<bool>(),
            interval in proptest::sample::select(vec![0u64, 300, 1_000, 4_000]),
            ops in proptest::collection::vec((0u64..1_500, 0usize..6, 1u64..5, any::<bool>()), 1..16),
        ) {
            let data_type = if remove_wins { DataType::LikesRemoveWins } else { DataType::LikesAddWins };
            let mut d = Driven::new(room(data_type, StrategyConfig::default_for(kind), interval));
            let mut t = 0;
            for (gap, region, person, like) in ops {
                t += gap;
                let region = RegionId::from_index(region).unwrap();
                d.act(region, if like { Act::Like(person) } else { Act::Unlike(person) }, t);
            }
            let end = d.sim.now() + 120_000;
            while !d.sim.is_settled() && d.sim.now() < end {
                let Some(at) = d.sim.next_event_at() else { break };
                d.run_to(at);
            }
            prop_assert!(d.sim.is_settled(), "{kind:?}");
            let t = d.sim.now() + interval.max(1);
            d.run_to(t);
            let v = d.sim.read_model().unwrap();
            prop_assert_eq!(v.behind_events, 0);
            for region in RegionId::all() {
                prop_assert_eq!(&v.members, &d.sim.members(region).to_vec(), "{:?} {:?}", kind, region);
            }
        }
    }
}
