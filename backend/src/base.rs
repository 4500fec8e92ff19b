//! The public room: what a like is there, and its compacted log (the *base*).
//!
//! **One like per person.** The public room is where a shared link lands, so
//! it shows a real like button: one like per person, which can be taken back
//! (Likes, add-wins — a concurrent like and unlike keep the like). A new
//! public room starts so ([`public_config`]).
//!
//! **Old logs replay as they were recorded.** A public room stored before
//! that change has a log of claps under a configuration that says claps.
//! Replaying those inputs under a set would be false — each anonymous clap
//! would become the same anonymous person's like, and a count of 25 would
//! read 1 — so a restore replays the stored configuration as it is. The room
//! then switches with an ordinary logged control (`set_data_type`), at the
//! moment of the restore: its history keeps the claps, a replay of the log
//! reproduces both parts, and from then on it takes people's likes. A count
//! of claps cannot become a set of people (it never knew who clapped), so
//! the live count starts over at the switch, which the timeline marks.
//!
//! **Compaction.** The public room never expires, so once its log grows past
//! a bound its oldest inputs are folded into a [`Base`] (see `store`). The
//! foldable prefix is the public room's life in order: claps, then at most
//! one switch to a set, then people's likes and unlikes. Claps fold into a
//! count per region; the switch is kept; people fold into who likes the post
//! at the end of the prefix (replayed and settled under the room's own rule),
//! each as one like in the region of their last like. A restore replays the
//! base at its instant, then the rest of the log. What is lost is the fine
//! timing of the folded part, and the unlikes and repeated likes that no
//! longer change who likes the post — the set's tombstones, collected.

use serde::{Deserialize, Serialize};
use shared::crdt::{Act, PersonId};
use shared::kernel::Millis;
use shared::people::ANONYMOUS;
use shared::protocol::{Command, Control};
use shared::region::RegionId;
use shared::sim::replay::Input;
use shared::sim::{DataType, SimConfig, Simulation};

/// What a like is in the public room.
pub const PUBLIC_DATA_TYPE: DataType = DataType::LikesAddWins;

/// How long a fold lets the replayed prefix settle (simulated): far longer
/// than any public-room delay, which has no faults to repair.
const SETTLE_MS: Millis = 10 * 60 * 1000;

/// A new public room's configuration, from a fresh one for any room.
pub fn public_config(config: SimConfig) -> SimConfig {
    SimConfig { data_type: PUBLIC_DATA_TYPE, ..config }
}

/// Whether a restored public room still takes claps and must switch.
pub fn needs_switch(config_now: DataType) -> bool {
    config_now != PUBLIC_DATA_TYPE
}

/// The control that switches it (logged like any input).
pub fn switch() -> Command {
    Command::Control(Control::SetDataType(PUBLIC_DATA_TYPE))
}

/// The compacted prefix of the public room's log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Base {
    pub at: Millis,
    /// Claps per region (catalog order).
    pub likes: Vec<u64>,
    /// The switch to a set the prefix held, if it did.
    pub data_type: Option<DataType>,
    /// Who liked at the end of the prefix, each in the region of their
    /// last like (id order).
    pub people: Vec<(RegionId, PersonId)>,
}

/// The base as stored (`bases.likes_json`): the claps per region alone, as
/// written before people's likes (and still, while there are none), or the
/// whole base.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Stored {
    Claps(Vec<u64>),
    Whole {
        likes: Vec<u64>,
        #[serde(default)]
        data_type: Option<DataType>,
        people: Vec<(RegionId, PersonId)>,
    },
}

impl Base {
    pub fn empty() -> Base {
        Base { at: 0, likes: vec![0; RegionId::COUNT], data_type: None, people: Vec::new() }
    }

    /// Reads a stored base.
    pub fn parse(at: Millis, json: &str) -> Result<Base, serde_json::Error> {
        Ok(match serde_json::from_str(json)? {
            Stored::Claps(likes) => Base { at, likes, data_type: None, people: Vec::new() },
            Stored::Whole { likes, data_type, people } => Base { at, likes, data_type, people },
        })
    }

    /// The base as stored; a base of claps alone keeps the old format.
    pub fn to_json(&self) -> String {
        let stored = if self.data_type.is_none() && self.people.is_empty() {
            Stored::Claps(self.likes.clone())
        } else {
            Stored::Whole { likes: self.likes.clone(), data_type: self.data_type, people: self.people.clone() }
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// The base as the inputs it stands for, all at its instant: the claps,
    /// the switch, then one like per person.
    pub fn inputs(&self) -> impl Iterator<Item = Input> + '_ {
        let at = self.at;
        let claps = RegionId::all()
            .zip(self.likes.iter())
            .flat_map(move |(region, &n)| (0..n).map(move |_| Input { at, command: Command::Like(region) }));
        let switch = self.data_type.map(|t| Input { at, command: Command::Control(Control::SetDataType(t)) });
        let people = self
            .people
            .iter()
            .map(move |&(region, person)| Input { at, command: Command::Act { region, act: Act::Like(person) } });
        claps.chain(switch).chain(people)
    }

    /// Folds `prefix` (the oldest inputs of the log) into the base, if it is
    /// foldable: claps while the room takes claps, at most one switch to a
    /// set, then likes and unlikes. Returns whether it folded; a prefix
    /// holding anything else is left as it is (never dropped).
    pub fn fold(&mut self, config: &SimConfig, prefix: &[Input]) -> bool {
        // A set from the start (a new public room), or since a switch.
        let set_before = config.data_type.is_set() || self.data_type.is_some_and(DataType::is_set);
        let mut set = set_before;
        for input in prefix {
            match &input.command {
                Command::Like(_) => {}
                Command::Act { .. } if set => {}
                Command::Control(Control::SetDataType(t)) if !set && t.is_set() => set = true,
                _ => return false,
            }
        }
        let Some(last) = prefix.last() else { return false };
        if set {
            // Who likes the post once the prefix has settled, under the
            // room's own rule: replay the base and the prefix.
            let mut sim = Simulation::new(config.clone());
            for input in self.inputs().chain(prefix.iter().cloned()) {
                sim.input(&input);
            }
            sim.settle(SETTLE_MS);
            let mut home: std::collections::BTreeMap<PersonId, RegionId> =
                self.people.iter().map(|&(r, p)| (p, r)).collect();
            let mut switched = set_before;
            for input in prefix {
                match input.command {
                    Command::Control(Control::SetDataType(t)) => {
                        switched = true;
                        self.data_type = Some(t);
                    }
                    Command::Like(region) if switched => {
                        home.insert(ANONYMOUS, region);
                    }
                    Command::Like(region) => self.likes[region.index()] += 1,
                    Command::Act { region, act: Act::Like(p) } => {
                        home.insert(p, region);
                    }
                    _ => {}
                }
            }
            let first = RegionId::all().next().expect("the catalog is not empty");
            self.people = sim.members(first).iter().map(|p| (home.get(p).copied().unwrap_or(first), *p)).collect();
        } else {
            for input in prefix {
                if let Command::Like(region) = input.command {
                    self.likes[region.index()] += 1;
                }
            }
        }
        self.at = last.at;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::sim::replay::replay;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    fn like(at: Millis, region: &str, person: PersonId) -> Input {
        Input { at, command: Command::Act { region: r(region), act: Act::Like(person) } }
    }

    fn unlike(at: Millis, region: &str, person: PersonId) -> Input {
        Input { at, command: Command::Act { region: r(region), act: Act::Unlike(person) } }
    }

    fn clap(at: Millis, region: &str) -> Input {
        Input { at, command: Command::Like(r(region)) }
    }

    fn members(config: &SimConfig, inputs: &[Input]) -> Vec<u64> {
        let mut sim = replay(config.clone(), inputs, inputs.last().map_or(0, |i| i.at));
        sim.settle(SETTLE_MS);
        RegionId::all().map(|x| sim.read(x)).collect()
    }

    /// An old public room: claps, the switch, people; or a new one, people
    /// from the start. Folding any prefix and replaying base + rest ends
    /// with the same people liking.
    #[test]
    fn folding_keeps_who_likes_the_post() {
        let config = SimConfig::default();
        let new = public_config(SimConfig::default());
        let people = vec![like(5, "tokyo", 1), clap(6, "sydney"), like(7, "sydney", 2), unlike(8, "tokyo", 1)];
        let whole = members(&new, &people);
        for k in 1..people.len() {
            let mut base = Base::empty();
            assert!(base.fold(&new, &people[..k]), "{k}");
            let base = Base::parse(base.at, &base.to_json()).unwrap();
            let replayed: Vec<Input> = base.inputs().chain(people[k..].iter().cloned()).collect();
            assert_eq!(members(&new, &replayed), whole, "folding the first {k} of a new room");
        }
        let log = vec![
            clap(10, "tokyo"),
            clap(20, "sydney"),
            Input { at: 30, command: switch() },
            like(40, "tokyo", 1),
            like(50, "virginia", 2),
            unlike(60, "virginia", 1),
            like(70, "mumbai", 3),
            clap(80, "saopaulo"),
            like(9_000, "frankfurt", 4),
        ];
        let whole = members(&config, &log);
        for k in 1..log.len() {
            let mut base = Base::empty();
            assert!(base.fold(&config, &log[..k]), "{k}");
            // Stored and read back, as a restore reads it.
            let base = Base::parse(base.at, &base.to_json()).unwrap();
            let replayed: Vec<Input> = base.inputs().chain(log[k..].iter().cloned()).collect();
            assert_eq!(members(&config, &replayed), whole, "folding the first {k}");
        }
    }

    #[test]
    fn a_base_of_claps_keeps_the_old_format() {
        let mut base = Base::empty();
        assert!(base.fold(&SimConfig::default(), &[clap(5, "tokyo"), clap(6, "tokyo")]));
        assert_eq!(base.to_json(), "[2,0,0,0,0,0]");
        assert_eq!(Base::parse(6, "[2,0,0,0,0,0]").unwrap(), base);
    }

    #[test]
    fn a_prefix_with_another_control_is_not_folded() {
        let mut base = Base::empty();
        let crash = Input { at: 5, command: Command::Control(Control::Crash(r("tokyo"))) };
        assert!(!base.fold(&SimConfig::default(), &[clap(1, "tokyo"), crash]));
        assert_eq!(base, Base::empty());
    }
}
