//! The lab's handle: every control the page can send, and the room's
//! partitions as the latest frame reports them.
//!
//! Controls change the room for everyone in it, so nothing here is applied
//! locally: a control goes to the server and its effect comes back in the
//! next frame (`faults`), for this page and every other one in the room
//! alike. Cuts are reported per direction; the lab shows a pair as cut
//! when either direction is, since `cut`, `isolate` and `heal` always act
//! on both.
//!
//! The public room is locked: the server refuses controls there, and every
//! control here is disabled with [`Lab::locked`] so nobody clicks into a
//! refusal. So is a room with a presenter for everyone who does not
//! present it (see [`crate::presenter`]).

use crate::app::Conn;
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

/// The latest frame's cut links, each as `link(from, to)`. Built by
/// inserting one at a time: `collect()` into a set sorts its input first,
/// and that sort was ~4 KB of wasm of its own.
fn cut_set(conn: Conn, link: fn(RegionId, RegionId) -> Pair) -> BTreeSet<Pair> {
    let mut set = BTreeSet::new();
    conn.frame.with(|r| {
        for l in r.iter().flat_map(|r| &r.frame.sim.faults.cut) {
            set.insert(link(l.from, l.to));
        }
    });
    set
}

/// The room's controls. `Copy`, like [`Conn`], and one pointer
/// wide: the parts live for the page (one room per page load), so a
/// closure that captures the lab copies one word. Held by value, every
/// closure calling a method on it (`lab.usable()`, `lab.cut(…)`) and every
/// component given it copied the connection and four memos (128 bytes),
/// and each such copy was code of its own: 3.4 KB of the gzipped wasm.
#[derive(Clone, Copy)]
pub struct Lab(&'static Parts);

/// What [`Lab`] points to; its fields read through the lab (`lab.cuts`).
pub struct Parts {
    conn: Conn,
    /// Region pairs the room has cut (in at least one direction).
    pub cuts: Memo<BTreeSet<Pair>>,
    /// Controls are refused here (the public room, a room someone else
    /// presents, or not yet known).
    pub locked: Memo<bool>,
    /// The public room (or not yet known): locked for everyone.
    pub public: Memo<bool>,
    /// Directed links the room has cut (`from`, `to`).
    pub directed_cuts: Memo<BTreeSet<(RegionId, RegionId)>>,
}

impl std::ops::Deref for Lab {
    type Target = Parts;
    fn deref(&self) -> &Parts {
        self.0
    }
}

impl Lab {
    pub fn new(conn: Conn) -> Lab {
        let presented =
            Memo::new(move |_| conn.frame.with(|r| r.as_ref().is_some_and(|r| r.frame.presenter.is_some())));
        let public = Memo::new(move |_| conn.room.with(|r| r.as_ref().is_none_or(|r| r.public)));
        let locked = Memo::new(move |_| public.get() || (presented.get() && !conn.presenting.get()));
        let directed_cuts = Memo::new(move |_| cut_set(conn, |from, to| (from, to)));
        let cuts = Memo::new(move |_| cut_set(conn, pair));
        // Leaked on purpose: made once per page, used until it unloads.
        Lab(Box::leak(Box::new(Parts { conn, cuts, locked, public, directed_cuts })))
    }
}

impl Parts {
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
        if a == b {
            return;
        }
        self.send(ClientMessage::Cut { a: a.id().into(), b: b.id().into() });
    }

    pub fn heal(&self, a: RegionId, b: RegionId) {
        if a == b {
            return;
        }
        self.send(ClientMessage::Heal { a: a.id().into(), b: b.id().into() });
    }

    /// Cuts (`cut`) or heals one direction, `from` → `to`.
    pub fn one_way(&self, from: RegionId, to: RegionId, cut: bool) {
        if from == to {
            return;
        }
        let (from, to) = (from.id().to_owned(), to.id().to_owned());
        self.send(if cut { ClientMessage::CutOneWay { from, to } } else { ClientMessage::HealOneWay { from, to } });
    }

    /// Cuts `region` off from every other region.
    pub fn isolate(&self, region: RegionId) {
        self.send(ClientMessage::Isolate { region: region.id().into() });
    }

    /// Heals every cut link of `region` (one `heal` per pair: the rest of
    /// the room's partitions stay as they are).
    pub fn rejoin(&self, region: RegionId) {
        let cut: Vec<RegionId> = self
            .cuts
            .with_untracked(|c| RegionId::all().filter(|&o| o != region && c.contains(&pair(region, o))).collect());
        for other in cut {
            self.heal(region, other);
        }
    }

    pub fn heal_all(&self) {
        self.send(ClientMessage::HealAll);
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
