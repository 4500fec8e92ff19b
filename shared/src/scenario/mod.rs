//! Guided scenarios: short scripted stories that each show one idea of
//! eventual consistency, played by the room itself.
//!
//! A newcomer does not know which knob to turn to see a like get lost. A
//! scenario turns the knobs for them: it is **pure data** — a title, a
//! two-sentence caption saying what to watch, the room it starts in (a
//! replication strategy, durable logs or not) and a list of [`Step`]s, each
//! an [`Action`] at a simulated time ("Tokyo and Virginia like", "the ocean
//! cables are cut", "Mumbai crashes") — plus a [`Promise`]: the end state
//! the caption announces, which the tests check the scenario really reaches.
//!
//! # Why the simulation plays the steps
//! A room is its log (see [`crate::sim::replay`]): seek, fork, export and a
//! restart after a crash all rebuild it by replaying the log over the same
//! seed. If the server fired the steps as ordinary inputs, every one would
//! have to be logged, and a restored room would have to work out which of
//! them had already fired. Instead the room's configuration names the
//! scenario ([`crate::sim::SimConfig::scenario`]) and the simulation plays
//! each step as its simulated time comes, like any other scheduled event
//! (see [`player`]). So the steps are a function of simulated time alone:
//! pausing the room pauses the story, `step` walks through it, a speed of
//! ×2 plays it twice as fast, and replaying, forking or exporting the room
//! reproduces it exactly, with nothing extra in the log.
//!
//! Read [`catalogue`] for the seven stories themselves.

pub mod catalogue;
pub mod player;
#[cfg(test)]
mod tests;

use crate::kernel::Millis;
use crate::region::RegionId;
use crate::sim::{SimConfig, Simulation};
use crate::strategy::StrategyConfig;
use serde::{Deserialize, Serialize};

pub use catalogue::CATALOGUE;
pub use player::Player;

/// One guided scenario.
#[derive(Debug)]
pub struct Scenario {
    /// Its name in links: `/s/{id}`.
    pub id: &'static str,
    pub title: &'static str,
    /// A few words for the picker's row.
    pub short: &'static str,
    /// Two sentences: what happens, and what to watch.
    pub caption: &'static str,
    /// The replication strategy the room starts with.
    pub strategy: StrategyConfig,
    /// Whether a crashed region keeps what it held (see [`SimConfig::durable`]).
    pub durable: bool,
    /// In time order.
    pub steps: &'static [Step],
    pub promise: Promise,
}

/// Something that happens at a simulated time, with the words the step
/// list shows for it.
#[derive(Debug)]
pub struct Step {
    /// Simulated ms since the room started.
    pub at: Millis,
    pub action: Action,
    pub says: &'static str,
}

/// What a step does. Each is one of the lab's own controls (or likes), so a
/// scenario can do nothing a person in a private room could not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `n` likes clicked in `region` at the same moment.
    Likes {
        region: RegionId,
        n: u32,
    },
    /// `n` likes in every region at once.
    Burst {
        n: u32,
    },
    /// Cut every link between these regions and the others, both ways: two
    /// halves of the world that cannot hear each other, not even relayed.
    Split(&'static [RegionId]),
    /// Cut every link of one region.
    Isolate(RegionId),
    /// Heal every cut link.
    HealAll,
    Crash(RegionId),
    Restart(RegionId),
    /// Turn every region's durable log on or off.
    Durable(bool),
    /// Nothing happens: a moment to look (the step list says at what).
    Watch,
}

/// The end state a scenario's caption promises, once its last step has
/// played and the room has settled: every region shows `every_region`,
/// `lost` acknowledged likes are missing from it, and `refused` likes were
/// turned away. Nothing is ever counted twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    pub every_region: u64,
    pub lost: u64,
    pub refused: u64,
}

impl Promise {
    /// Whether `sim` keeps the promise; otherwise what differs, in words.
    pub fn check(&self, sim: &Simulation) -> Result<(), String> {
        let v = sim.verdict();
        if !v.settled {
            return Err("the room has not settled".into());
        }
        if let Some(r) = RegionId::all().find(|&r| sim.read(r) != self.every_region) {
            return Err(format!("{} shows {}, not {}", r.info().city, sim.read(r), self.every_region));
        }
        if v.lost != Some(self.lost) {
            return Err(format!("lost {:?} likes, not {}", v.lost, self.lost));
        }
        if v.refused != self.refused {
            return Err(format!("refused {} likes, not {}", v.refused, self.refused));
        }
        if v.double_counted.unwrap_or(0) != 0 {
            return Err("a like was counted twice".into());
        }
        Ok(())
    }
}

impl Scenario {
    /// The configuration of a new room running this scenario.
    pub fn config(&'static self, seed: u64, time_scale: f64) -> SimConfig {
        SimConfig {
            seed,
            time_scale,
            strategy: self.strategy.clone(),
            durable: self.durable,
            scenario: Some(self.id.to_owned()),
            ..SimConfig::default()
        }
    }

    /// When the last step plays.
    pub fn last_step_at(&self) -> Millis {
        self.steps.last().map_or(0, |s| s.at)
    }
}

/// The scenario named `id`, if there is one.
pub fn find(id: &str) -> Option<&'static Scenario> {
    CATALOGUE.iter().find(|s| s.id == id)
}

/// A running scenario as every frame shows it. The words (title, caption,
/// steps) are in the catalogue, which the browser has too: only the id and
/// the progress travel.
/// ```
/// # use shared::scenario::ScenarioView;
/// let v: ScenarioView = serde_json::from_str(r#"{"id":"cable_cut","done":3,"finished":false}"#).unwrap();
/// assert_eq!(v, ScenarioView { id: "cable_cut".into(), done: 3, finished: false });
/// assert!(shared::scenario::find(&v.id).is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioView {
    pub id: String,
    /// How many steps have played.
    pub done: usize,
    /// Every step has played and the room has settled.
    pub finished: bool,
}
