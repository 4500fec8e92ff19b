//! The strategy's window on the world for one step, and the shortest
//! paths between regions that timing references are computed from.
//!
//! Everything a strategy may do — send a message, set a timer, tell a user
//! their like is acknowledged or refused — goes through a [`Ctx`]. That is
//! what keeps strategies deterministic and testable: they never see a clock,
//! a socket or a thread, only this.

use super::agenda::{Agenda, Event};
use super::network::Network;
use super::{scale, Cause, Message, Millis, Timer};
use crate::region::RegionId;
use rand_chacha::ChaCha8Rng;

/// What became of a like that was answered "pending" ([`Accepted::Later`](crate::strategy::Accepted)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user is told it counted.
    Acknowledged(RegionId),
    /// The user is told it failed.
    Refused(RegionId),
    /// A message never left: its link was cut or its destination down.
    /// Not about a like; the simulation's history records it (a message
    /// that does leave is recorded when it lands or vanishes).
    NotSent { from: RegionId, to: RegionId, label: &'static str, like: bool },
}

/// The strategy's window on the world for one step.
pub struct Ctx<'a> {
    pub(crate) now: Millis,
    pub(crate) time_scale: f64,
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) net: &'a mut Network,
    pub(crate) agenda: &'a mut Agenda,
    pub(crate) outcomes: &'a mut Vec<Outcome>,
    pub(crate) crashed: &'a [bool],
    pub(crate) epochs: &'a [u32],
    /// Why messages sent in this step are sent (see [`Cause`]).
    pub(crate) cause: Cause,
    /// See [`Ctx::ops_carry_history`].
    pub(crate) ops_carry_history: bool,
}

impl Ctx<'_> {
    /// The current simulated time.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// An interval stretched by the room's time scale, so the whole
    /// simulation speeds up or slows down together.
    pub fn scaled(&self, ms: Millis) -> Millis {
        scale(ms, self.time_scale)
    }

    /// Whether an operation's number alone says everything up to it. True
    /// for claps: "like #k from Tokyo" means "Tokyo has at least k likes",
    /// whatever arrived before. False for people's likes and unlikes: each
    /// operation carries only its own content (who, like or unlike), so a
    /// message must say which run of operations it carries, and a replica
    /// takes a run only if it continues what it holds (see
    /// [`crate::sim::likes`]).
    pub fn ops_carry_history(&self) -> bool {
        self.ops_carry_history
    }

    /// The first operation a message carrying `origin`'s operations up to
    /// some number must start from, when the receiver is known to hold
    /// `known` of them: 1 for claps, `known + 1` otherwise.
    pub fn first_carried(&self, known: u64) -> u64 {
        if self.ops_carry_history {
            1
        } else {
            known + 1
        }
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }

    /// Marks what this step sends from here on as a like's own traffic (a
    /// retry of unacknowledged likes runs on a timer but is paid for likes).
    pub fn for_likes(&mut self) {
        self.cause = Cause::Like;
    }

    /// Sends `msg` over the link `from -> to`. Returns whether the message
    /// left on the wire (the link was not cut and the network did not lose
    /// it).
    pub fn send(&mut self, from: RegionId, to: RegionId, msg: Message) -> bool {
        let down = self.crashed.get(to.index()).copied().unwrap_or(false);
        if down || self.net.link(from, to).cut {
            let (label, like) = (msg.label(), self.cause == Cause::Like);
            self.outcomes.push(Outcome::NotSent { from, to, label, like });
        }
        self.net.send(self.agenda, self.rng, self.now, from, to, msg, self.cause, down)
    }

    /// Sends a copy of `msg` from `from` to every other region.
    pub fn broadcast(&mut self, from: RegionId, msg: &Message) {
        for to in RegionId::all().filter(|&to| to != from) {
            self.send(from, to, msg.clone());
        }
    }

    /// Fires `timer` at `region` after `after` simulated milliseconds. A
    /// crash of `region` cancels its pending timers.
    pub fn set_timer(&mut self, after: Millis, region: RegionId, timer: Timer) {
        let epoch = self.epochs.get(region.index()).copied().unwrap_or(0);
        self.agenda.push(self.now + after, Event::Timer { region, timer, epoch });
    }

    /// Tells the user at `region` that a like answered "pending" counted.
    pub fn acknowledge(&mut self, region: RegionId) {
        self.outcomes.push(Outcome::Acknowledged(region));
    }

    /// Tells the user at `region` that a like answered "pending" failed.
    pub fn refuse(&mut self, region: RegionId) {
        self.outcomes.push(Outcome::Refused(region));
    }

    /// Shortest delays over the network as it is now.
    pub fn paths(&self) -> Paths {
        Paths::new(self.net, self.crashed)
    }
}

/// Shortest delivery delays (base link delays, no jitter, no loss) between
/// regions, over links that are not cut and through regions that are up.
/// Nothing can travel faster, which is what makes them the floor of every
/// timing reference.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `dist[from][to]`, `None` where `to` cannot be reached.
    dist: Vec<Vec<Option<Millis>>>,
}

impl Paths {
    pub fn new(net: &Network, crashed: &[bool]) -> Paths {
        let n = RegionId::COUNT;
        let down = |r: RegionId| crashed.get(r.index()).copied().unwrap_or(false);
        let dist = RegionId::all()
            .map(|from| {
                let mut dist: Vec<Option<Millis>> = vec![None; n];
                let mut done = vec![false; n];
                if down(from) {
                    return dist;
                }
                dist[from.index()] = Some(0);
                // Dijkstra over six nodes: a linear scan beats a heap here.
                while let Some((d, a)) =
                    RegionId::all().filter(|r| !done[r.index()]).filter_map(|r| dist[r.index()].map(|d| (d, r))).min()
                {
                    done[a.index()] = true;
                    for b in RegionId::all().filter(|&b| !done[b.index()] && !down(b)) {
                        let link = net.link(a, b);
                        if link.cut {
                            continue;
                        }
                        let nd = d + Millis::from(link.latency_ms);
                        if dist[b.index()].is_none_or(|old| nd < old) {
                            dist[b.index()] = Some(nd);
                        }
                    }
                }
                dist
            })
            .collect();
        Paths { dist }
    }

    /// Shortest delay from `from` to `to`; `None` when `to` cannot be reached.
    pub fn get(&self, from: RegionId, to: RegionId) -> Option<Millis> {
        self.dist[from.index()][to.index()]
    }

    /// The delay to the farthest live region from `from`, and that region;
    /// `None` when some live region cannot be reached at all.
    pub fn farthest(&self, from: RegionId, live: impl Fn(RegionId) -> bool) -> Option<(Millis, RegionId)> {
        RegionId::all().filter(|&r| live(r)).try_fold((0, from), |acc, r| {
            let d = self.get(from, r)?;
            Some(if d > acc.0 { (d, r) } else { acc })
        })
    }
}
