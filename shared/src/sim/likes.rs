//! The data type of a like: what the operations a replica holds *mean*.
//!
//! A room picks one ([`DataType`]):
//! - **Claps** — every click counts, anonymously, and cannot be taken back:
//!   a grow-only counter ([`crate::crdt::GCounter`]). The default.
//! - **Likes, add-wins** and **Likes, remove-wins** — one like per person,
//!   and an unlike takes it back: an observed-remove set of people
//!   ([`LikeSet`]), whose concurrent like and unlike of one person end as
//!   its [`Bias`] says.
//!
//! # How every strategy carries every data type
//! A replication strategy never looks inside an operation. To it, a clap, a
//! like and an unlike are all "region `o`'s next operation, number `n`",
//! and a replica holds, per origin, an unbroken run of them: operations
//! `1..=k` of each origin, the [`Tally`] every strategy already keeps (a
//! version vector). Event push ships operations, background sync ships
//! states or deltas of that vector, the queue and the leader apply runs.
//!
//! This module keeps the other half: the log of what each numbered
//! operation *was* (who, like or unlike, and the context it was taken in),
//! and each replica's value — the data type applied to the operations the
//! replica holds. For claps that is the tally's sum; for a set it is a
//! [`LikeSet`] built by applying those operations ([`Replicated::apply`]).
//!
//! The one difference the data type makes to the wire: a clap's number
//! says everything before it ("Tokyo has at least 41 likes"), while a
//! like's operation carries only itself. So for sets a message says which
//! run it carries, and a replica takes a run only if it continues what it
//! holds; a run that would leave a hole (an earlier event was lost or
//! overtaken) is dropped and comes back with the retry or the next gossip
//! round (see [`crate::kernel::Ctx::ops_carry_history`]). Last writer wins
//! is the exception: its register is a whole set written over another, so
//! it names the operations it is made of ([`Strategy::register_dots`]).
//!
//! # The ground truth for sets
//! What a person was told, per person: their likes acknowledged, and
//! whether they unliked (an unlike taken, acknowledged or still in doubt).
//! A person with an acknowledged like and no unlike **must** be a member of
//! every replica once the room settles; one who is not was lost. Nobody can
//! be counted twice: a set holds a person once, however many of their
//! likes arrive, twice or late — which is why the verdict shows no "double
//! counted" figure for sets.

use super::ledger::Ledger;
use super::Simulation;
use crate::crdt::{Act, Bias, Dot, LikeOp, LikeSet, PersonId, Replicated, VersionVector};
use crate::kernel::{Cause, Dots, Tally};
use crate::protocol::view::Consistency;
use crate::region::RegionId;
use crate::strategy::Strategy;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// The data type of a room's likes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    /// Every click counts (a grow-only counter).
    #[default]
    Claps,
    /// One like per person; a concurrent like and unlike keep the like.
    LikesAddWins,
    /// One like per person; a concurrent like and unlike drop the like.
    LikesRemoveWins,
}

impl DataType {
    /// Every data type, in the order the UI lists them.
    pub const ALL: [DataType; 3] = [DataType::Claps, DataType::LikesAddWins, DataType::LikesRemoveWins];

    /// The set's rule for a concurrent like and unlike; `None` for claps.
    pub fn bias(self) -> Option<Bias> {
        match self {
            DataType::Claps => None,
            DataType::LikesAddWins => Some(Bias::AddWins),
            DataType::LikesRemoveWins => Some(Bias::RemoveWins),
        }
    }

    pub fn is_set(self) -> bool {
        self.bias().is_some()
    }

    /// See [`crate::kernel::Ctx::ops_carry_history`].
    pub fn ops_carry_history(self) -> bool {
        !self.is_set()
    }

    /// The name the UI shows.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Claps => "Claps (every click counts)",
            DataType::LikesAddWins => "Likes, add-wins (one per person)",
            DataType::LikesRemoveWins => "Likes, remove-wins (one per person)",
        }
    }

    /// What `act` becomes in a room of this type: a person's like counts as
    /// a clap in a room of claps; an anonymous click is a like by
    /// [`crate::people::ANONYMOUS`] in a room of sets. `None`: a clap cannot
    /// be taken back.
    pub fn normalize(self, act: Act) -> Option<Act> {
        match (self.is_set(), act) {
            (false, Act::Unlike(_)) => None,
            (false, _) => Some(Act::Clap),
            (true, Act::Clap) => Some(Act::Like(crate::people::ANONYMOUS)),
            (true, act) => Some(act),
        }
    }
}

impl Simulation {
    /// Switches the room to another data type, at the current time.
    ///
    /// A count of claps cannot become a set of people (it never knew who
    /// clapped), so the likes start over: likes in doubt end first (as at a
    /// strategy switch), the messages on the wire are dropped, the running
    /// strategy restarts from empty replicas, and the ground truth and every
    /// measurement start afresh. The network, its faults and the regions
    /// that are down stay as they are.
    pub fn set_data_type(&mut self, data_type: DataType) {
        if data_type == self.config.data_type {
            return;
        }
        self.with_strategy(Cause::Background, |s, ctx| s.abandon(ctx));
        self.world.agenda.clear();
        self.world.net.clear_in_flight();
        self.world.net.reset_stats();
        self.world.ops_carry_history = data_type.ops_carry_history();
        self.config.data_type = data_type;
        self.likes = Likes::new(data_type);
        // The projection of the old likes goes with them; the knob stays.
        self.read_model = super::ReadModel::new(self.config.read_model_ms, &self.likes);
        let now = self.world.now;
        self.strategy = self.config.strategy.build();
        self.ledger = Ledger::new();
        self.ledger.switched(now, self.strategy.keeps_each_like(), |_| 0);
        self.with_strategy(Cause::Background, |s, ctx| s.start(ctx));
        // Timers set on regions that are down are stale: they re-arm theirs
        // when they restart.
        for (epoch, &down) in self.world.epochs.iter_mut().zip(&self.world.crashed) {
            if down {
                *epoch += 1;
            }
        }
        self.timing = None;
        self.last_write_at = None;
        self.consistency = Consistency::Settled { since: now, took_ms: None, correct: true };
        // The oracle judges the new room from its start.
        #[cfg(test)]
        self.trace.clear();
        self.changed();
    }
}

/// One replica's value, rebuilt only when what it holds changes.
#[derive(Debug, Clone)]
struct Materialized {
    /// The run per origin it was built from, or the register's operations.
    held: Tally,
    dots: Option<Dots>,
    set: LikeSet,
    members: Vec<PersonId>,
}

/// What one person was told (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PersonTruth {
    acknowledged_likes: u64,
    /// Unlikes taken and not refused (acknowledged or in doubt).
    unlikes: u64,
}

/// The operation log, each replica's value, and the truth per person, for
/// a room whose data type is a set (empty for claps).
#[derive(Debug, Clone)]
pub(crate) struct Likes {
    pub(crate) data_type: DataType,
    /// `log[o][n - 1]`: operation `n` of origin `o`.
    log: Vec<Vec<LikeOp>>,
    replicas: Vec<Option<Materialized>>,
    people: BTreeMap<PersonId, PersonTruth>,
    /// Per origin, operations answered "pending", oldest first: an answer
    /// acknowledges the oldest, a refusal takes back the newest.
    in_doubt: Vec<VecDeque<Act>>,
    /// Bumped whenever a number is taken again for another operation, so
    /// whatever was built from the old one knows to rebuild (the read model).
    generation: u64,
}

impl Likes {
    pub(crate) fn new(data_type: DataType) -> Likes {
        Likes {
            data_type,
            log: vec![Vec::new(); RegionId::COUNT],
            replicas: vec![None; RegionId::COUNT],
            people: BTreeMap::new(),
            in_doubt: vec![VecDeque::new(); RegionId::COUNT],
            generation: 0,
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        self.data_type.is_set()
    }

    /// Logs `act` (a like or unlike) as `origin`'s operation `numbered + 1`,
    /// taken with `context` seen. The strategy numbers its operations
    /// `1..=numbered`; anything beyond was destroyed or refused, and its
    /// number is reused.
    pub(crate) fn record(&mut self, origin: RegionId, numbered: u64, act: Act, context: VersionVector) {
        let (Some(person), Some(_)) = (act.person(), self.data_type.bias()) else { return };
        let log = &mut self.log[origin.index()];
        if log.len() as u64 > numbered {
            log.truncate(numbered as usize);
            // Some replica may have been built from a destroyed operation
            // under the same number: rebuild them all (rare).
            self.replicas.iter_mut().for_each(|r| *r = None);
            self.generation += 1;
        }
        let like = matches!(act, Act::Like(_));
        log.push(LikeOp { person, like, dot: Dot { region: origin, n: numbered + 1 }, context });
    }

    /// The strategy refused the operation just recorded.
    pub(crate) fn unrecord(&mut self, origin: RegionId) {
        self.log[origin.index()].pop();
    }

    /// The strategy took `act` at `origin`, acknowledged or in doubt.
    pub(crate) fn taken(&mut self, origin: RegionId, act: Act, acknowledged: bool) {
        let Some(person) = act.person() else { return };
        let truth = self.people.entry(person).or_default();
        match act {
            Act::Unlike(_) => truth.unlikes += 1,
            Act::Like(_) if acknowledged => truth.acknowledged_likes += 1,
            _ => {}
        }
        if !acknowledged {
            self.in_doubt[origin.index()].push_back(act);
        }
    }

    /// The oldest operation in doubt at `origin` ended acknowledged.
    pub(crate) fn acknowledged_later(&mut self, origin: RegionId) {
        if let Some(Act::Like(p)) = self.in_doubt[origin.index()].pop_front() {
            self.people.entry(p).or_default().acknowledged_likes += 1;
        }
    }

    /// The newest operation in doubt at `origin` ended refused.
    pub(crate) fn refused_later(&mut self, origin: RegionId) {
        if let Some(Act::Unlike(p)) = self.in_doubt[origin.index()].pop_back() {
            let truth = self.people.entry(p).or_default();
            truth.unlikes = truth.unlikes.saturating_sub(1);
        }
    }

    /// Brings every replica's value up to what the strategy says it holds.
    pub(crate) fn refresh(&mut self, strategy: &dyn Strategy) {
        let Some(bias) = self.data_type.bias() else { return };
        for r in RegionId::all() {
            let held = strategy.tally(r);
            let dots = strategy.register_dots(r).cloned();
            let slot = &mut self.replicas[r.index()];
            let log = &self.log;
            let fresh = match (&*slot, &dots) {
                (Some(m), Some(d)) => m.dots.as_ref().is_some_and(|old| Arc::ptr_eq(old, d)),
                (Some(m), None) => m.dots.is_none() && m.held == held,
                (None, _) => false,
            };
            if fresh {
                continue;
            }
            // Extend a run that only grew; otherwise rebuild.
            let grew = matches!(&*slot, Some(m) if m.dots.is_none() && dots.is_none()
                && RegionId::all().all(|o| m.held.get(o) <= held.get(o)));
            // A register that only gained operations (the usual case: the
            // newer register holds what the older one held) adds the new
            // ones; one that lost some (a register replaced by a rival's)
            // is rebuilt.
            let gained = matches!((&*slot, &dots), (Some(m), Some(d))
                if m.dots.as_ref().is_some_and(|old| old.is_subset(d)));
            let (mut set, from, kept, before) = match slot.take() {
                Some(m) if grew => (m.set, m.held, Some(m.members), None),
                Some(m) if gained => (m.set, m.held, Some(m.members), m.dots),
                _ => (LikeSet::new(bias), Tally::default(), None, None),
            };
            // The people whose operations were applied: only their place
            // in the members can have changed (whether a person likes the
            // post depends on that person's operations alone).
            let mut touched = Vec::new();
            match &dots {
                Some(d) => {
                    let empty = BTreeSet::new();
                    for dot in d.difference(before.as_deref().unwrap_or(&empty)) {
                        if let Some(op) = op(log, *dot) {
                            set.apply(op);
                            touched.push(op.person);
                        }
                    }
                }
                None => {
                    for o in RegionId::all() {
                        let ops = &log[o.index()];
                        let upto = (held.get(o) as usize).min(ops.len());
                        for op in ops.iter().take(upto).skip(from.get(o) as usize) {
                            set.apply(op);
                            touched.push(op.person);
                        }
                    }
                }
            }
            // A run or register that grew updates its members for the
            // people touched;
            // recomputing them all (every person's operations, for every
            // replica a delivery changed) made each like cost time linear
            // in the people who ever liked: with ids anyone can make up, a
            // flood of 10 000 made-up people cost the room 6 ms a like.
            let members = match kept {
                Some(members) => update_members(members, &set, touched),
                None => set.members(),
            };
            *slot = Some(Materialized { held, dots, set, members });
        }
    }

    /// Who likes the post, as `region`'s replica sees it (after
    /// [`Likes::refresh`]).
    pub(crate) fn members(&self, region: RegionId) -> &[PersonId] {
        self.replicas[region.index()].as_ref().map_or(&[], |m| &m.members)
    }

    /// `region`'s set: operations held, and of those the unlikes (the
    /// tombstones a set must keep to remember a like was taken back).
    pub(crate) fn size(&self, region: RegionId) -> (u64, u64) {
        self.replicas[region.index()].as_ref().map_or((0, 0), |m| (m.set.len() as u64, m.set.tombstones() as u64))
    }

    /// Whether two replicas hold the same operations (for last writer
    /// wins, whose registers are not runs).
    pub(crate) fn same_ops(&self, a: RegionId, b: RegionId) -> bool {
        match (&self.replicas[a.index()], &self.replicas[b.index()]) {
            (Some(x), Some(y)) => x.set == y.set,
            _ => true,
        }
    }

    /// People who liked (acknowledged) and never unliked: every replica
    /// must show them once the room settles.
    pub(crate) fn expected(&self) -> BTreeSet<PersonId> {
        self.people.iter().filter(|(_, t)| t.acknowledged_likes > 0 && t.unlikes == 0).map(|(&p, _)| p).collect()
    }

    /// Operation `dot` of the log, if it exists.
    pub(crate) fn op(&self, dot: Dot) -> Option<&LikeOp> {
        op(&self.log, dot)
    }

    /// How many times a number was taken again (see [`Likes::record`]).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Everyone who ever liked or unliked here.
    pub(crate) fn people(&self) -> usize {
        self.people.len()
    }
}

/// `members` (in id order) after operations of `touched` people were
/// applied to `set`: each of them is in or out as the set now says.
fn update_members(mut members: Vec<PersonId>, set: &LikeSet, mut touched: Vec<PersonId>) -> Vec<PersonId> {
    touched.sort_unstable();
    touched.dedup();
    for person in touched {
        match (members.binary_search(&person), set.contains(person)) {
            (Err(at), true) => members.insert(at, person),
            (Ok(at), false) => {
                members.remove(at);
            }
            _ => {}
        }
    }
    members
}

/// Operation `dot` of the log, if it exists.
fn op(log: &[Vec<LikeOp>], dot: Dot) -> Option<&LikeOp> {
    log[dot.region.index()].get((dot.n as usize).checked_sub(1)?)
}

/// The verdict on a room of people's likes (see [`Likes`] for the truth
/// it is judged against; every figure is defined in the README).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetVerdict {
    /// People who liked (acknowledged) and never unliked.
    pub expected: u64,
    /// Once settled: of those, the people missing from some live replica.
    pub lost: Option<u64>,
    /// Up to 20 of them, in id order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost_people: Vec<PersonId>,
    /// People who liked or unliked in this room.
    pub people: u64,
    /// The largest set of any live replica: operations held, and of those
    /// unlikes (tombstones). A set never forgets an operation.
    pub ops_held: u64,
    pub tombstones: u64,
    /// Why nobody can be counted twice.
    pub no_double_count: String,
}

/// Why a set cannot count anyone twice (the panel shows it instead of a
/// "double counted" figure).
pub const NO_DOUBLE_COUNT: &str = "Nobody can be counted twice: a replica counts the people in its set, and a \
     person is in it once however many copies of their like arrive — a duplicate carries the same operation id.";

/// Judges a room of sets: `members` are the live replicas' members.
pub(crate) fn judge(likes: &Likes, settled: bool, members: &[&[PersonId]], live: &[RegionId]) -> SetVerdict {
    let expected = likes.expected();
    let missing: BTreeSet<PersonId> = if settled {
        expected.iter().copied().filter(|p| members.iter().any(|m| m.binary_search(p).is_err())).collect()
    } else {
        BTreeSet::new()
    };
    let (ops_held, tombstones) = live.iter().map(|&r| likes.size(r)).max().unwrap_or((0, 0));
    SetVerdict {
        expected: expected.len() as u64,
        lost: settled.then_some(missing.len() as u64),
        lost_people: missing.into_iter().take(20).collect(),
        people: likes.people() as u64,
        ops_held,
        tombstones,
        no_double_count: NO_DOUBLE_COUNT.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{StrategyConfig, StrategyKind};
    use proptest::strategy::Strategy as _;

    const ANA: PersonId = 7;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    fn room(data_type: DataType, strategy: StrategyConfig) -> Simulation {
        Simulation::new(crate::sim::SimConfig { data_type, strategy, ..crate::sim::SimConfig::default() })
    }

    /// A replica's members are kept up to date as its run grows, person by
    /// person (see `update_members`): at every step they are exactly what
    /// recomputing them from the replica's whole set gives, under every
    /// strategy and both rules, through crashes, cuts and heals.
    #[test]
    fn members_kept_up_to_date_equal_members_recomputed() {
        let mut seed: u64 = 0x5EED;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for kind in StrategyKind::ALL {
            for data_type in [DataType::LikesAddWins, DataType::LikesRemoveWins] {
                let mut sim = room(data_type, StrategyConfig::default_for(kind));
                let region = |i: u64| RegionId::from_index(i as usize).unwrap();
                for step in 0..400u64 {
                    let t = sim.now() + next(300);
                    let (at, person) = (region(next(6)), 1 + next(40));
                    let _ = match next(10) {
                        0..=5 => sim.like_as(at, person, t),
                        6..=7 => sim.unlike(at, person, t),
                        8 => {
                            sim.advance(t);
                            sim.apply(crate::protocol::Control::Cut(region(next(6)), region(next(6))));
                            Ok(crate::strategy::Accepted::Now)
                        }
                        _ => {
                            sim.advance(t);
                            sim.apply(crate::protocol::Control::HealAll);
                            Ok(crate::strategy::Accepted::Now)
                        }
                    };
                    for r in RegionId::all() {
                        let kept = sim.likes.members(r).to_vec();
                        let recomputed = sim.likes.replicas[r.index()].as_ref().map_or(Vec::new(), |m| m.set.members());
                        assert_eq!(kept, recomputed, "{kind:?} {data_type:?} step {step} at {r:?}");
                    }
                }
            }
        }
    }

    /// Ana likes in Tokyo; once everyone knows, she likes again in Tokyo
    /// while, at the same instant, she unlikes in Virginia: neither has
    /// seen the other. Every strategy that keeps each operation ends as the
    /// rule says; last writer wins ends on whichever register wins, the
    /// same everywhere.
    #[test]
    fn a_concurrent_like_and_unlike_end_as_each_rule_says_under_every_strategy() {
        for kind in StrategyKind::ALL {
            for (data_type, kept) in [(DataType::LikesAddWins, true), (DataType::LikesRemoveWins, false)] {
                let mut sim = room(data_type, StrategyConfig::default_for(kind));
                sim.like_as(r("tokyo"), ANA, 0).unwrap();
                assert!(sim.settle(120_000), "{kind:?}");
                let t = sim.now() + 1;
                sim.like_as(r("tokyo"), ANA, t).unwrap();
                sim.unlike(r("virginia"), ANA, t).unwrap();
                assert!(sim.settle(120_000), "{kind:?} {data_type:?}: {:?}", sim.verdict().pending);
                let seen: Vec<bool> = RegionId::all().map(|x| sim.members(x).contains(&ANA)).collect();
                assert!(seen.iter().all(|&s| s == seen[0]), "{kind:?} {data_type:?}: replicas disagree");
                if kind != StrategyKind::LastWriterWins {
                    assert_eq!(seen[0], kept, "{kind:?} {data_type:?}");
                }
                // Ana unliked: the verdict expects nothing of her.
                let v = sim.verdict();
                assert_eq!((v.lost, v.double_counted), (Some(0), None), "{kind:?}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 40, ..Default::default() })]

        /// The rule above, over random strategies, pairs of regions and
        /// other people's likes around it: a like and an unlike of one person
        /// taken at the same instant in two regions (neither can have seen
        /// the other) end as the rule says, on every replica. Last writer
        /// wins ends the same everywhere, on whichever register won.
        #[test]
        fn concurrent_like_and_unlike_by_proptest(
            kind in proptest::sample::select(StrategyKind::ALL.to_vec()),
            remove_wins in proptest::prelude::any::<bool>(),
            (a, b) in (0usize..6, 1usize..6).prop_map(|(a, d)| (a, (a + d) % 6)),
            others in proptest::collection::vec((0usize..6, 100u64..110), 0..4),
        ) {
            let (data_type, kept) =
                if remove_wins { (DataType::LikesRemoveWins, false) } else { (DataType::LikesAddWins, true) };
            let (a, b) = (RegionId::from_index(a).unwrap(), RegionId::from_index(b).unwrap());
            let mut sim = room(data_type, StrategyConfig::default_for(kind));
            sim.like_as(a, ANA, 0).unwrap();
            for (i, &(region, person)) in others.iter().enumerate() {
                sim.like_as(RegionId::from_index(region).unwrap(), person, 1 + i as u64).unwrap();
            }
            proptest::prop_assert!(sim.settle(120_000));
            let t = sim.now() + 1;
            sim.like_as(a, ANA, t).unwrap();
            sim.unlike(b, ANA, t).unwrap();
            proptest::prop_assert!(sim.settle(120_000), "{:?}", sim.verdict().pending);
            let seen: Vec<bool> = RegionId::all().map(|x| sim.members(x).contains(&ANA)).collect();
            proptest::prop_assert!(seen.iter().all(|&s| s == seen[0]), "replicas disagree: {:?}", seen);
            if kind != StrategyKind::LastWriterWins {
                proptest::prop_assert_eq!(seen[0], kept);
                // Everyone else who liked is still there.
                for &(_, person) in &others {
                    proptest::prop_assert!(sim.members(a).contains(&person));
                }
                proptest::prop_assert_eq!(sim.verdict().lost, Some(0));
            }
        }
    }

    /// Likes taken again and again, then one unlike that had seen them all:
    /// the person is gone everywhere, under both rules.
    #[test]
    fn an_unlike_after_several_likes_takes_them_all_back() {
        for data_type in [DataType::LikesAddWins, DataType::LikesRemoveWins] {
            let mut sim = room(data_type, StrategyConfig::default());
            sim.like_as(r("sydney"), ANA, 10).unwrap();
            sim.like_as(r("sydney"), ANA, 11).unwrap();
            sim.like_as(r("tokyo"), 2, 12).unwrap();
            assert!(sim.settle(60_000));
            let t = sim.now() + 5;
            sim.unlike(r("virginia"), ANA, t).unwrap();
            assert!(sim.settle(60_000));
            assert!(RegionId::all().all(|x| sim.members(x) == [2]), "{data_type:?}");
        }
    }

    #[test]
    fn a_duplicating_network_cannot_count_a_person_twice() {
        let mut sim = room(DataType::LikesAddWins, StrategyConfig::default());
        sim.set_all_links(0.0, 0.5, None);
        for (i, region) in RegionId::all().enumerate() {
            sim.like_as(region, 1 + (i % 2) as PersonId, i as u64 * 10).unwrap();
        }
        assert!(sim.settle(120_000));
        for region in RegionId::all() {
            assert_eq!(sim.read(region), 2, "two people, however many copies");
        }
        let v = sim.verdict();
        assert!(v.correct());
        assert!(v.set.unwrap().no_double_count.contains("counted twice"));
    }

    #[test]
    fn a_clap_cannot_be_taken_back_and_a_persons_like_is_a_clap() {
        let mut sim = room(DataType::Claps, StrategyConfig::default());
        sim.like_as(r("tokyo"), ANA, 0).unwrap();
        sim.like_as(r("tokyo"), ANA, 1).unwrap();
        assert_eq!(sim.unlike(r("tokyo"), ANA, 2), Err(crate::strategy::Refusal::NotUndoable));
        assert_eq!(sim.read(r("tokyo")), 2);
        assert_eq!(sim.truth().total, 2);
    }

    #[test]
    fn switching_the_data_type_starts_the_likes_over() {
        let mut sim = room(DataType::Claps, StrategyConfig::default());
        sim.like(r("tokyo"), 0).unwrap();
        sim.set_data_type(DataType::LikesRemoveWins);
        assert_eq!((sim.truth().total, sim.read(r("tokyo"))), (0, 0));
        sim.like_as(r("sydney"), ANA, 10).unwrap();
        assert!(sim.settle(120_000));
        assert!(RegionId::all().all(|x| sim.members(x) == [ANA]));
        assert_eq!(sim.view().data_type, DataType::LikesRemoveWins);
    }

    /// A like lost on the wire, with nothing to repair it, is judged lost
    /// by membership.
    #[test]
    fn a_like_that_never_arrives_is_lost() {
        let strategy = StrategyConfig::EventPush { anti_entropy_ms: None, retry_ms: None, dedupe: true };
        let mut sim = room(DataType::LikesAddWins, strategy);
        sim.cut(r("tokyo"), r("sydney"));
        sim.like_as(r("tokyo"), ANA, 0).unwrap();
        sim.heal_all();
        assert!(sim.settle(120_000));
        assert!(!sim.members(r("sydney")).contains(&ANA));
        let set = sim.verdict().set.unwrap();
        assert_eq!((set.expected, set.lost, set.lost_people), (1, Some(1), vec![ANA]));
    }
}
