//! The lab's handle: every control the page can send, plus the little it
//! must remember itself.
//!
//! Controls change the room for everyone in it, so they go to the server
//! and come back in frames like everything else. Two things do not come
//! back: frames carry no link conditions, so the page cannot read which
//! links are cut or what loss it set. The cuts *this page* made are
//! therefore tracked here, mirroring exactly what the server does with
//! them (`isolate` = cut every pair, `heal_all` = heal every pair), and
//! drawn on the map. A page that joins later, or cuts made by someone else
//! in the room, are not seen; the region cards' `available` state still
//! is, because it comes from the frame.
//!
//! A server restart starts the room afresh (rooms live in memory), so when
//! the simulated clock runs backwards the remembered cuts are dropped and
//! [`Lab::resets`] ticks for anything else that remembers settings.
//!
//! The public room is locked: the server refuses controls there, and every
//! control here is disabled with [`Lab::locked`] so nobody clicks into a
//! refusal.

use crate::connection::Connection;
use leptos::prelude::*;
use shared::protocol::ClientMessage;
use shared::region::RegionId;
use std::collections::BTreeSet;

/// An undirected link, smaller region first (cuts are always both ways).
pub type Pair = (RegionId, RegionId);

/// The pair `a`–`b` in its canonical order.
pub fn pair(a: RegionId, b: RegionId) -> Pair {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Whether every link of `region` is in `cuts`.
pub fn isolated(cuts: &BTreeSet<Pair>, region: RegionId) -> bool {
    RegionId::all().filter(|&o| o != region).all(|o| cuts.contains(&pair(region, o)))
}

/// The room's controls. `Copy`, like [`Connection`].
#[derive(Clone, Copy)]
pub struct Lab {
    conn: Connection,
    /// Links this page has cut and not healed since.
    pub cuts: RwSignal<BTreeSet<Pair>>,
    /// Controls are refused here (the public room, or not yet known).
    pub locked: Signal<bool>,
    /// Bumped whenever the room turns out to have started afresh.
    pub resets: ReadSignal<u64>,
}

impl Lab {
    pub fn new(conn: Connection) -> Lab {
        let locked = Signal::derive(move || conn.room.with(|r| r.as_ref().is_none_or(|r| r.public)));
        let cuts = RwSignal::new(BTreeSet::new());
        let (resets, set_resets) = signal(0u64);
        Effect::new(move |before: Option<Option<u64>>| {
            let now = conn.frame.with(|r| r.as_ref().map(|r| r.frame.sim.now_ms));
            if let (Some(Some(before)), Some(now)) = (before, now) {
                if now < before {
                    cuts.update(BTreeSet::clear);
                    set_resets.update(|n| *n += 1);
                }
            }
            now
        });
        Lab { conn, cuts, locked, resets }
    }

    /// Whether a control may be used right now: unlocked and live.
    pub fn usable(&self) -> bool {
        !self.locked.get() && self.conn.is_live()
    }

    pub fn send(&self, msg: ClientMessage) {
        if self.locked.get_untracked() {
            return;
        }
        self.conn.send(msg);
    }

    pub fn cut(&self, a: RegionId, b: RegionId) {
        if a == b || self.locked.get_untracked() {
            return;
        }
        self.send(ClientMessage::Cut { a: a.id().into(), b: b.id().into() });
        self.cuts.update(|c| {
            c.insert(pair(a, b));
        });
    }

    pub fn heal(&self, a: RegionId, b: RegionId) {
        if a == b || self.locked.get_untracked() {
            return;
        }
        self.send(ClientMessage::Heal { a: a.id().into(), b: b.id().into() });
        self.cuts.update(|c| {
            c.remove(&pair(a, b));
        });
    }

    /// Cuts `region` off from every other region.
    pub fn isolate(&self, region: RegionId) {
        if self.locked.get_untracked() {
            return;
        }
        self.send(ClientMessage::Isolate { region: region.id().into() });
        self.cuts.update(|c| c.extend(RegionId::all().filter(|&o| o != region).map(|o| pair(region, o))));
    }

    /// Heals every link of `region` (one `heal` per pair: the rest of the
    /// room's partitions stay as they are).
    pub fn rejoin(&self, region: RegionId) {
        for other in RegionId::all().filter(|&o| o != region) {
            self.heal(region, other);
        }
    }

    pub fn heal_all(&self) {
        if self.locked.get_untracked() {
            return;
        }
        self.send(ClientMessage::HealAll);
        self.cuts.update(BTreeSet::clear);
    }

    pub fn crash(&self, region: RegionId) {
        self.send(ClientMessage::Crash { region: region.id().into() });
    }

    pub fn restart(&self, region: RegionId) {
        self.send(ClientMessage::Restart { region: region.id().into() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    #[test]
    fn pairs_are_undirected() {
        assert_eq!(pair(r("tokyo"), r("virginia")), pair(r("virginia"), r("tokyo")));
    }

    #[test]
    fn a_region_is_isolated_only_when_every_link_is_cut() {
        let v = r("virginia");
        let mut cuts: BTreeSet<Pair> = RegionId::all().filter(|&o| o != v).map(|o| pair(v, o)).collect();
        assert!(isolated(&cuts, v));
        assert!(!isolated(&cuts, r("tokyo")));
        cuts.remove(&pair(r("tokyo"), v));
        assert!(!isolated(&cuts, v));
    }
}
