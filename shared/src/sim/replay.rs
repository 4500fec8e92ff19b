//! A room is its inputs: the seed, the starting configuration, and every
//! like and control with the simulated time it was taken at.
//!
//! The simulation is deterministic, so `replay(config, inputs)` rebuilds
//! the room exactly — which is what makes a room durable (log the inputs,
//! replay them after a restart), scrubbable (replay up to any moment),
//! forkable (replay a prefix into a new room) and shareable (export the log).
//! That is event sourcing, itself a pattern of eventually consistent systems:
//! the log is the truth, every state a function of it.

use super::{SimConfig, Simulation};
use crate::kernel::{scale, Millis};
use crate::protocol::history::{HistoryEvent, MarkKind};
use crate::protocol::{validate_control, validate_strategy, Command, Control, ProtocolError};
use crate::region::RegionId;
use crate::strategy::{SingleWriter, StrategyConfig};
use serde::{Deserialize, Serialize};

/// One accepted input, stamped with the simulated time it was applied at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub at: Millis,
    pub command: Command,
}

impl Simulation {
    /// Applies a validated control at the current time (the room calls
    /// [`Simulation::advance`] first).
    pub fn apply(&mut self, control: Control) {
        self.mark(&control);
        match control {
            Control::SetStrategy(config) => self.set_strategy(config),
            Control::SetLink { from, to, conditions } => self.set_link(from, to, conditions),
            Control::ResetLink { from, to } => self.reset_link(from, to),
            Control::SetAllLinks { loss, duplicate, jitter_ms } => self.set_all_links(loss, duplicate, jitter_ms),
            Control::Cut(a, b) => self.cut(a, b),
            Control::Heal(a, b) => self.heal(a, b),
            Control::CutOneWay { from, to } => self.cut_one_way(from, to),
            Control::HealOneWay { from, to } => self.heal_one_way(from, to),
            Control::Isolate(region) => self.isolate(region),
            Control::HealAll => self.heal_all(),
            Control::Crash(region) => {
                self.crash(region);
            }
            Control::Restart(region) => self.restart(region),
            Control::SetDurable(durable) => self.set_durable(durable),
            Control::SetDataType(data_type) => self.set_data_type(data_type),
            Control::SetReadModel(ms) => self.set_read_model_interval(ms),
            Control::SetPayouts(open) => self.set_payouts_open(open),
        }
    }

    /// Records a control as a marker of the history stream.
    fn mark(&mut self, control: &Control) {
        let (what, a, b) = match control {
            Control::SetStrategy(_) => (MarkKind::Switch, None, None),
            Control::SetLink { from, to, .. } | Control::ResetLink { from, to } => {
                (MarkKind::Links, Some(*from), Some(*to))
            }
            Control::SetAllLinks { .. } => (MarkKind::Links, None, None),
            Control::Cut(a, b) => (MarkKind::Cut, Some(*a), Some(*b)),
            Control::Heal(a, b) => (MarkKind::Heal, Some(*a), Some(*b)),
            Control::CutOneWay { from, to } => (MarkKind::Cut, Some(*from), Some(*to)),
            Control::HealOneWay { from, to } => (MarkKind::Heal, Some(*from), Some(*to)),
            Control::Isolate(r) => (MarkKind::Isolate, Some(*r), None),
            Control::HealAll => (MarkKind::HealAll, None, None),
            Control::Crash(r) => (MarkKind::Crash, Some(*r), None),
            Control::Restart(r) => (MarkKind::Restart, Some(*r), None),
            Control::SetDurable(_) => (MarkKind::Durable, None, None),
            Control::SetDataType(_) => (MarkKind::DataType, None, None),
            Control::SetReadModel(_) => (MarkKind::ReadModel, None, None),
            Control::SetPayouts(_) => (MarkKind::Payouts, None, None),
        };
        let at = self.now();
        self.record_mark(HistoryEvent::Mark { at, what, a, b });
    }

    /// Applies one logged input: advances to its time, then takes it.
    pub fn input(&mut self, input: &Input) {
        self.advance(input.at);
        match &input.command {
            Command::Like(region) => {
                let _ = self.like(*region, input.at);
            }
            Command::Act { region, act } => {
                let _ = self.act(*region, *act, input.at);
            }
            Command::SuperLike { region, person } => {
                let _ = self.super_like(*region, *person, input.at);
            }
            Command::Control(control) => self.apply(control.clone()),
        }
    }

    /// A fingerprint of everything a viewer can see of the room (the frame
    /// body), to check that two rooms are the same.
    pub fn fingerprint(&self) -> u64 {
        // FNV-1a over the view's JSON: stable across runs and platforms,
        // unlike `std`'s randomly keyed hasher.
        let json = serde_json::to_vec(&self.view()).unwrap_or_default();
        json.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }
}

/// The version of [`Run`]'s format (and of the server's stored log).
pub const RUN_FORMAT: u32 = 1;

/// Most inputs one run may hold (an hour at 10 likes a second is 36 000).
pub const MAX_RUN_INPUTS: usize = 200_000;

/// Latest simulated time a run may reach: a week (replaying an idle week
/// at the default event push takes ~2 s; the timers' work in between is
/// bounded by [`MAX_REPLAY_ROUNDS`]).
pub const MAX_RUN_MS: Millis = 7 * 24 * 3600 * 1000;

/// Most periodic rounds a run may make a replay go through (see
/// [`Run::rounds`]). Inputs are bounded by [`MAX_RUN_INPUTS`] and time by
/// [`MAX_RUN_MS`], but the work in between is the strategy's timers: a
/// valid run could ask for a sync every 10 ms (100 ms at time scale 0.1)
/// for a week — 60 million rounds, over an hour of one core (measured:
/// ~70 µs a full-state sync round, ~8 µs a round of the others, release
/// build), on the server's replay thread at the import, again at the fork
/// of a fork, and at every restart. A million rounds is ~8 s at the worst:
/// an idle week of every strategy at its defaults (event push: 151 200
/// rounds; single writer's heartbeat: 604 800), full-state sync at its
/// default 2 s for ~2½ days, anything at the fastest 100 ms for a day.
pub const MAX_REPLAY_ROUNDS: u64 = 1_000_000;

/// How much one round of a full-state sync costs, in rounds of the others
/// (every region sends its whole counter to every peer, not to one).
const FULL_SYNC_WEIGHT: u64 = 8;

/// A room's whole run, as exported and imported: everything needed to
/// rebuild it exactly (`replay(config, inputs, until_ms)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// [`RUN_FORMAT`].
    pub format: u32,
    /// The room's seed (also in `config`; here so people can read it).
    pub seed: u64,
    pub config: SimConfig,
    /// In time order.
    pub inputs: Vec<Input>,
    /// The simulated time the run reached.
    pub until_ms: Millis,
}

/// Why a run cannot be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BadRun {
    #[error("unsupported run format {0}; this server reads format {RUN_FORMAT}")]
    Format(u32),
    #[error("the run's seed {0} differs from its config's seed {1}")]
    Seed(u64, u64),
    #[error("time_scale must be between 0.1 and 10, got {0}")]
    TimeScale(f64),
    #[error("a run holds at most {MAX_RUN_INPUTS} inputs, this one {0}")]
    TooManyInputs(usize),
    #[error("until_ms must be at most {MAX_RUN_MS} and not before the last input")]
    Until,
    #[error("input {0} is earlier than the one before it; inputs must be in time order")]
    Order(usize),
    #[error("input {0}: {1}")]
    Input(usize, ProtocolError),
    #[error("config: {0}")]
    Config(ProtocolError),
    #[error("config: no scenario is called {0:?}")]
    Scenario(String),
    #[error(
        "the run would take too long to replay: its timers fire about {0} rounds (at most {MAX_REPLAY_ROUNDS}); \
         use longer intervals, a time_scale nearer 1, or a shorter until_ms"
    )]
    TooMuchWork(u64),
}

impl Run {
    /// A room that has not started yet: `config` and no inputs.
    pub fn empty(config: SimConfig) -> Run {
        Run { format: RUN_FORMAT, seed: config.seed, config, inputs: Vec::new(), until_ms: 0 }
    }

    /// Checks everything a client could have got wrong: the same checks as
    /// for live controls, plus order and size. A valid run replays safely.
    pub fn validate(&self) -> Result<(), BadRun> {
        if self.format != RUN_FORMAT {
            return Err(BadRun::Format(self.format));
        }
        if self.seed != self.config.seed {
            return Err(BadRun::Seed(self.seed, self.config.seed));
        }
        if !(0.1..=10.0).contains(&self.config.time_scale) {
            return Err(BadRun::TimeScale(self.config.time_scale));
        }
        validate_strategy(self.config.strategy.clone()).map_err(BadRun::Config)?;
        // The live control is capped; the starting value must be too.
        validate_control(Control::SetReadModel(self.config.read_model_ms)).map_err(BadRun::Config)?;
        if let Some(id) = &self.config.scenario {
            if crate::scenario::find(id).is_none() {
                return Err(BadRun::Scenario(id.chars().take(64).collect()));
            }
        }
        if self.inputs.len() > MAX_RUN_INPUTS {
            return Err(BadRun::TooManyInputs(self.inputs.len()));
        }
        let last = self.inputs.last().map_or(0, |i| i.at);
        if self.until_ms > MAX_RUN_MS || self.until_ms < last {
            return Err(BadRun::Until);
        }
        let mut before = 0;
        for (i, input) in self.inputs.iter().enumerate() {
            if input.at < before {
                return Err(BadRun::Order(i));
            }
            before = input.at;
            if let Command::Control(control) = &input.command {
                validate_control(control.clone()).map_err(|e| BadRun::Input(i, e))?;
            }
        }
        // Last: the estimate trusts the checks above (ordered, in range).
        let rounds = self.rounds();
        if rounds > MAX_REPLAY_ROUNDS {
            return Err(BadRun::TooMuchWork(rounds));
        }
        Ok(())
    }

    /// About how many rounds of periodic work replaying the run takes: for
    /// each stretch between two strategy switches, its length over each
    /// of the strategy's timer periods (time-scaled, as the simulation
    /// does), a full-state sync round weighing [`FULL_SYNC_WEIGHT`].
    /// Saturates rather than overflows.
    pub fn rounds(&self) -> u64 {
        let scale = self.config.time_scale;
        let mut strategy = &self.config.strategy;
        let mut from: Millis = 0;
        let mut total: u64 = 0;
        let switches = self.inputs.iter().filter_map(|i| match &i.command {
            Command::Control(Control::SetStrategy(next)) => Some((i.at, next)),
            _ => None,
        });
        for (at, next) in switches.chain(std::iter::once((self.until_ms, strategy))) {
            let span = at.saturating_sub(from).min(self.until_ms);
            total = total.saturating_add(periodic_rounds(strategy, span, scale));
            (from, strategy) = (at.max(from), next);
        }
        total
    }

    /// The room this run describes, at `until_ms`.
    pub fn replay(&self) -> Simulation {
        replay(self.config.clone(), &self.inputs, self.until_ms)
    }
}

/// Rounds of `strategy`'s timers in `span` simulated ms (see [`Run::rounds`]).
fn periodic_rounds(strategy: &StrategyConfig, span: Millis, time_scale: f64) -> u64 {
    let per = |period: Millis| span / scale(period, time_scale);
    match strategy {
        StrategyConfig::EventPush { anti_entropy_ms, retry_ms, .. } => {
            anti_entropy_ms.map_or(0, per).saturating_add(retry_ms.map_or(0, per))
        }
        StrategyConfig::BackgroundSync { interval_ms, delta: true } => per(*interval_ms),
        StrategyConfig::BackgroundSync { interval_ms, delta: false } => {
            per(*interval_ms).saturating_mul(FULL_SYNC_WEIGHT)
        }
        StrategyConfig::QueueBatch { batch_ms, .. } => per(*batch_ms),
        StrategyConfig::LastWriterWins { resend_ms, .. } => resend_ms.map_or(0, per),
        StrategyConfig::SingleWriter { .. } => per(SingleWriter::HEARTBEAT_MS),
    }
}

/// Rebuilds a room from its starting configuration and its inputs, up to
/// simulated time `until`.
pub fn replay(config: SimConfig, inputs: &[Input], until: Millis) -> Simulation {
    let mut sim = Simulation::new(config);
    for input in inputs.iter().take_while(|i| i.at <= until) {
        sim.input(input);
    }
    sim.advance(until);
    sim
}

/// The like region of an input, if it is a like (for logs and tests).
pub fn liked_region(input: &Input) -> Option<RegionId> {
    match input.command {
        Command::Like(r) | Command::Act { region: r, .. } => Some(r),
        Command::SuperLike { .. } | Command::Control(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{StrategyConfig, StrategyKind};
    use proptest::prelude::*;

    fn schedule() -> impl proptest::strategy::Strategy<Value = Vec<(u8, usize, usize, u64)>> {
        proptest::collection::vec((0u8..10, 0..RegionId::COUNT, 0..RegionId::COUNT, 0u64..700), 0..50)
    }

    fn inputs(steps: &[(u8, usize, usize, u64)]) -> Vec<Input> {
        let r = |i: usize| RegionId::from_index(i).unwrap();
        let mut t = 0;
        steps
            .iter()
            .map(|&(op, a, b, gap)| {
                t += gap;
                let command = match op {
                    0 => Command::Control(Control::Cut(r(a), r(b))),
                    1 => Command::Control(Control::HealAll),
                    2 => Command::Control(Control::Crash(r(a))),
                    3 => Command::Control(Control::Restart(r(a))),
                    4 => Command::Control(Control::SetStrategy(StrategyConfig::default_for(StrategyKind::ALL[b % 5]))),
                    5 => Command::Control(Control::SetDurable(a % 2 == 0)),
                    _ => Command::Like(r(a)),
                };
                Input { at: t, command }
            })
            .collect()
    }

    #[test]
    fn runs_are_validated() {
        let tokyo = RegionId::parse("tokyo").unwrap();
        let like = |at| Input { at, command: Command::Like(tokyo) };
        let good = Run {
            format: RUN_FORMAT,
            seed: 3,
            config: SimConfig { seed: 3, ..SimConfig::default() },
            inputs: vec![like(10), like(20)],
            until_ms: 30,
        };
        assert_eq!(good.validate(), Ok(()));
        assert_eq!(good.replay().truth().total, 2);
        let bad = |f: &dyn Fn(&mut Run)| {
            let mut run = good.clone();
            f(&mut run);
            run.validate().unwrap_err()
        };
        assert_eq!(bad(&|r| r.format = 9), BadRun::Format(9));
        assert_eq!(bad(&|r| r.seed = 4), BadRun::Seed(4, 3));
        assert_eq!(bad(&|r| r.inputs.reverse()), BadRun::Order(1));
        assert_eq!(bad(&|r| r.until_ms = 5), BadRun::Until);
        assert!(matches!(bad(&|r| r.config.time_scale = f64::NAN), BadRun::TimeScale(_)));
        // The starting read model interval is capped like the live control.
        assert!(matches!(bad(&|r| r.config.read_model_ms = u64::MAX), BadRun::Config(_)));
    }

    /// A run within every bound can still ask for hours of replay: a week
    /// of timers every 10 ms. Such a run is refused, with the reason; an
    /// idle week at the defaults is not.
    #[test]
    fn runs_that_would_replay_for_too_long_are_refused() {
        let week = MAX_RUN_MS;
        let idle = |strategy: StrategyConfig, time_scale: f64, until_ms: Millis| {
            let config = SimConfig { time_scale, strategy, ..SimConfig::default() };
            Run { until_ms, ..Run::empty(config) }
        };
        let virginia = RegionId::parse("virginia").unwrap();
        let fastest = [
            StrategyConfig::EventPush { anti_entropy_ms: Some(100), retry_ms: Some(4_000), dedupe: true },
            StrategyConfig::BackgroundSync { interval_ms: 100, delta: false },
            StrategyConfig::BackgroundSync { interval_ms: 100, delta: true },
            StrategyConfig::QueueBatch { batch_ms: 100, writer: virginia },
            StrategyConfig::LastWriterWins { resend_ms: Some(100), skew_ms: 0 },
            StrategyConfig::SingleWriter { leader: virginia, timeout_ms: 5_000 },
        ];
        for strategy in fastest {
            let run = idle(strategy.clone(), 0.1, week);
            assert!(matches!(run.validate(), Err(BadRun::TooMuchWork(_))), "{strategy:?}");
            assert!(run.validate().unwrap_err().to_string().contains("too long to replay"));
            // An hour of the same is fine.
            assert_eq!(idle(strategy.clone(), 1.0, 3_600_000).validate(), Ok(()), "{strategy:?}");
        }
        for kind in StrategyKind::ALL {
            let strategy = StrategyConfig::default_for(kind);
            let full_sync = matches!(strategy, StrategyConfig::BackgroundSync { delta: false, .. });
            let verdict = idle(strategy.clone(), 1.0, week).validate();
            assert_eq!(verdict.is_ok(), !full_sync, "an idle week of {strategy:?}: {verdict:?}");
        }
        // Each stretch counts with the strategy it ran: a switch to a sync
        // every 100 ms an hour before the end is fine, a day before is not.
        let switched = |at: Millis| {
            let sync = StrategyConfig::BackgroundSync { interval_ms: 100, delta: false };
            let mut run = idle(StrategyConfig::default(), 1.0, week);
            run.inputs = vec![Input { at, command: Command::Control(Control::SetStrategy(sync)) }];
            run
        };
        assert_eq!(switched(week - 3_600_000).validate(), Ok(()));
        assert!(matches!(switched(week - 24 * 3_600_000).validate(), Err(BadRun::TooMuchWork(_))));
        // The estimate never overflows, even on a run that was not validated.
        let absurd = idle(StrategyConfig::BackgroundSync { interval_ms: 1, delta: false }, 1e-300, u64::MAX);
        assert_eq!(absurd.rounds(), u64::MAX);
    }

    #[test]
    fn old_logs_still_decode_and_peoples_likes_replay() {
        // A log and a config from before people's likes: claps.
        let old: Input = serde_json::from_str(r#"{"at":5,"command":{"type":"like","args":"tokyo"}}"#).unwrap();
        assert_eq!(liked_region(&old), RegionId::parse("tokyo").ok());
        let config: SimConfig = serde_json::from_str(
            r#"{"seed":1,"time_scale":1.0,"strategy":{"kind":"event_push","anti_entropy_ms":4000}}"#,
        )
        .unwrap();
        assert_eq!(config.data_type, crate::sim::DataType::Claps);
        // A set room's log: likes and unlikes by person, and a type switch.
        let r = |id| RegionId::parse(id).unwrap();
        let act = |at, region, act| Input { at, command: Command::Act { region: r(region), act } };
        use crate::crdt::Act;
        let log = vec![
            Input { at: 1, command: Command::Control(Control::SetDataType(crate::sim::DataType::LikesRemoveWins)) },
            act(10, "tokyo", Act::Like(1)),
            act(20, "sydney", Act::Like(2)),
            act(3_000, "virginia", Act::Unlike(1)),
        ];
        let json = serde_json::to_string(&log).unwrap();
        let back: Vec<Input> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, log);
        let run = Run { format: RUN_FORMAT, seed: 1, config: config.clone(), inputs: log.clone(), until_ms: 20_000 };
        assert_eq!(run.validate(), Ok(()));
        let replayed = run.replay();
        assert_eq!(replayed.data_type(), crate::sim::DataType::LikesRemoveWins);
        assert!(RegionId::all().all(|x| replayed.members(x) == [2]));
        let mut live = Simulation::new(config);
        for input in &log {
            live.input(input);
        }
        live.advance(20_000);
        assert_eq!(live.fingerprint(), replayed.fingerprint());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// A room replayed from its log equals the live room at every
        /// moment, and a clone taken at `t` (a checkpoint, or a fork) goes on
        /// exactly like the original.
        #[test]
        fn a_replayed_room_equals_the_live_one(seed in any::<u64>(), steps in schedule()) {
            let config = SimConfig { seed, ..SimConfig::default() };
            let log = inputs(&steps);
            let mut live = Simulation::new(config.clone());
            let mut checkpoint = None;
            for (i, input) in log.iter().enumerate() {
                live.input(input);
                if i == log.len() / 2 {
                    checkpoint = Some((i, live.clone()));
                }
            }
            let end = log.last().map_or(0, |i| i.at) + 30_000;
            live.advance(end);
            let replayed = replay(config, &log, end);
            prop_assert_eq!(replayed.fingerprint(), live.fingerprint());
            if let Some((i, mut from_checkpoint)) = checkpoint {
                for input in &log[i + 1..] {
                    from_checkpoint.input(input);
                }
                from_checkpoint.advance(end);
                prop_assert_eq!(from_checkpoint.fingerprint(), live.fingerprint());
            }
            // The log itself survives a round trip through JSON.
            let json = serde_json::to_string(&log).unwrap();
            let back: Vec<Input> = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, log);
        }
    }
}
