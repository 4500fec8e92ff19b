//! Plays a scenario's steps inside a [`Simulation`], as simulated time
//! reaches them.
//!
//! The player is only a cursor into the scenario's step list; the
//! simulation asks it, before running its events up to a time, whether a
//! step falls due first (see `Simulation::advance`). Events due at the same
//! millisecond as a step run before it, and a step due at the same
//! millisecond as a logged input plays before the input: one fixed order,
//! so a replay of the room meets every step exactly where the live room did.
//!
//! Each action turns into the same control or like a person could send, so
//! it shows up in the history stream as one (a cut, a crash, a like).

use super::{Action, Scenario, ScenarioView, Step};
use crate::kernel::Millis;
use crate::protocol::Control;
use crate::region::RegionId;
use crate::sim::Simulation;

/// Where a room is in its scenario.
#[derive(Debug, Clone)]
pub struct Player {
    scenario: &'static Scenario,
    /// The index of the next step to play.
    next: usize,
}

impl Player {
    pub fn new(scenario: &'static Scenario) -> Player {
        Player { scenario, next: 0 }
    }

    pub fn scenario(&self) -> &'static Scenario {
        self.scenario
    }

    /// How many steps have played.
    pub fn done(&self) -> usize {
        self.next
    }

    /// When the next step plays, if any is left.
    pub fn next_at(&self) -> Option<Millis> {
        self.scenario.steps.get(self.next).map(|s| s.at)
    }

    /// The next step if it is due at or before `now`, moving past it.
    pub fn take_due(&mut self, now: Millis) -> Option<&'static Step> {
        let step = self.scenario.steps.get(self.next).filter(|s| s.at <= now)?;
        self.next += 1;
        Some(step)
    }

    /// What a frame shows; `settled` is the room's.
    pub fn view(&self, settled: bool) -> ScenarioView {
        let over = self.next >= self.scenario.steps.len();
        ScenarioView { id: self.scenario.id.to_owned(), done: self.next, finished: over && settled }
    }
}

/// Does `action` to `sim`, at its current time.
pub(crate) fn play(sim: &mut Simulation, action: Action) {
    let now = sim.now();
    match action {
        Action::Likes { region, n } => {
            for _ in 0..n {
                // A refusal (a single writer cut off from its leader) is
                // the point of some scenarios: the ledger counts it.
                let _ = sim.like(region, now);
            }
        }
        Action::Burst { n } => {
            for _ in 0..n {
                for region in RegionId::all() {
                    let _ = sim.like(region, now);
                }
            }
        }
        Action::Split(group) => {
            for a in group.iter().copied() {
                for b in RegionId::all().filter(|b| !group.contains(b)) {
                    sim.apply(Control::Cut(a, b));
                }
            }
        }
        Action::Isolate(region) => sim.apply(Control::Isolate(region)),
        Action::HealAll => sim.apply(Control::HealAll),
        Action::Crash(region) => sim.apply(Control::Crash(region)),
        Action::Restart(region) => sim.apply(Control::Restart(region)),
        Action::Durable(on) => sim.apply(Control::SetDurable(on)),
        Action::Watch => {}
    }
}
