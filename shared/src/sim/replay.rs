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
use crate::kernel::Millis;
use crate::protocol::{Command, Control};
use crate::region::RegionId;
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
        match control {
            Control::SetStrategy(config) => self.set_strategy(config),
            Control::SetLink { from, to, conditions } => self.set_link(from, to, conditions),
            Control::ResetLink { from, to } => self.reset_link(from, to),
            Control::SetAllLinks { loss, duplicate, jitter_ms } => self.set_all_links(loss, duplicate, jitter_ms),
            Control::Cut(a, b) => self.cut(a, b),
            Control::Heal(a, b) => self.heal(a, b),
            Control::Isolate(region) => self.isolate(region),
            Control::HealAll => self.heal_all(),
            Control::Crash(region) => {
                self.crash(region);
            }
            Control::Restart(region) => self.restart(region),
            Control::SetDurable(durable) => self.set_durable(durable),
        }
    }

    /// Applies one logged input: advances to its time, then takes it.
    pub fn input(&mut self, input: &Input) {
        self.advance(input.at);
        match &input.command {
            Command::Like(region) => {
                let _ = self.like(*region, input.at);
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
        Command::Like(r) => Some(r),
        Command::Control(_) => None,
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
