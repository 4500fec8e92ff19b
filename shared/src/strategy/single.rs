//! Single writer: one leader region owns the count.
//!
//! **How it works.** A like at the leader is applied there and acknowledged
//! at once. A like anywhere else is *forwarded*: the follower numbers its
//! likes 1, 2, 3, … and sends `Forward { origin, upto }` ("my likes up to
//! 7"); the user is told "pending" ([`Accepted::Later`]). The leader applies
//! whatever part of that it does not hold yet, answers `Applied { upto,
//! value }`, and only when that answer gets back is the like acknowledged.
//! After every change, and on a heartbeat, the leader broadcasts its count
//! (`Value`); followers show the last count they heard (never going
//! backwards), so they lag behind the leader.
//!
//! **Retries and idempotence.** Until answered, a follower re-sends its
//! forward every [`SingleWriter::RETRY_MS`], carrying the same numbers. The
//! leader keeps, per follower, only the highest number it holds, so a
//! repeated or duplicated forward changes nothing: the record is one number
//! per follower, not a set of ids that grows forever.
//!
//! **Failure detection.** A follower cannot see the network. It *suspects*
//! the leader when it has heard nothing from it (no heartbeat, no answer)
//! for `timeout_ms`, and then refuses new likes. During a partition that is
//! right; on a link that is only slow or lossy it is a false suspicion, and
//! likes are refused although the leader is fine. Likes taken before the
//! suspicion stay in doubt and are retried until the leader answers.
//!
//! **Guarantee.** The leader's count is the one that decides: a like is
//! acknowledged only once the leader holds it, nothing is lost or double
//! counted.
//!
//! **Failure mode.** Availability and latency: a like costs a round trip
//! to the leader and waits in doubt while it is unreachable; a follower that
//! suspects the leader refuses likes.

use super::{Accepted, Pending, RefCtx, Reference, Refusal, Stage, Strategy, StrategyKind};
use crate::kernel::{Ctx, Message, Millis, Tally, Timer};
use crate::region::RegionId;

#[derive(Debug, Clone)]
pub struct SingleWriter {
    leader: RegionId,
    timeout_ms: Millis,
    /// The leader's count, per origin (its sum is the count). For a
    /// follower's slot it is also the highest forwarded like it holds.
    tally: Tally,
    /// What each follower shows: the leader's last count it heard.
    shown: Vec<Tally>,
    /// Likes each follower has taken (its numbering).
    taken: Vec<u64>,
    /// The highest of its likes the leader confirmed to each follower.
    answered: Vec<u64>,
    /// When each follower last heard from the leader.
    last_heard: Vec<Millis>,
    /// When each region's next heartbeat (leader) or re-send (follower) fires.
    next_tick: Vec<Option<Millis>>,
}

impl SingleWriter {
    /// Period of re-sent forwards (above the slowest round trip to the leader).
    pub const RETRY_MS: Millis = 4_000;
    /// Period of the leader's heartbeat broadcast.
    pub const HEARTBEAT_MS: Millis = 1_000;
    /// How long a follower waits without hearing from the leader before it
    /// suspects it is down: three heartbeats plus the longest link.
    pub const DEFAULT_TIMEOUT_MS: Millis = 5_000;
    /// The shortest timeout a room accepts: two heartbeats.
    pub const MIN_TIMEOUT_MS: Millis = 2_000;

    pub fn new(leader: RegionId, timeout_ms: Millis) -> Self {
        SingleWriter {
            leader,
            timeout_ms,
            tally: Tally::default(),
            shown: vec![Tally::default(); RegionId::COUNT],
            taken: vec![0; RegionId::COUNT],
            answered: vec![0; RegionId::COUNT],
            last_heard: vec![0; RegionId::COUNT],
            next_tick: vec![None; RegionId::COUNT],
        }
    }

    pub fn leader(&self) -> RegionId {
        self.leader
    }

    /// Whether `region` (a follower) suspects the leader at `now`.
    pub fn suspects(&self, region: RegionId, now: Millis) -> bool {
        region != self.leader && now.saturating_sub(self.last_heard[region.index()]) > self.timeout_ms
    }

    fn publish(&mut self, ctx: &mut Ctx, except: Option<RegionId>) {
        let msg = Message::Value { value: self.tally.sum(), tally: self.tally };
        for to in RegionId::all().filter(|&r| r != self.leader && Some(r) != except) {
            ctx.send(self.leader, to, msg.clone());
        }
    }

    fn arm(&mut self, ctx: &mut Ctx, region: RegionId) {
        let period = ctx.scaled(if region == self.leader { Self::HEARTBEAT_MS } else { Self::RETRY_MS });
        ctx.set_timer(period, region, Timer::Retry);
        self.next_tick[region.index()] = Some(ctx.now() + period);
    }

    /// A follower heard the leader's count.
    fn hear(&mut self, region: RegionId, now: Millis, tally: Tally) {
        let r = region.index();
        self.last_heard[r] = now;
        if tally.sum() > self.shown[r].sum() {
            self.shown[r] = tally;
        }
    }

    fn in_doubt(&self, region: RegionId) -> u64 {
        self.taken[region.index()].saturating_sub(self.answered[region.index()])
    }
}

impl Strategy for SingleWriter {
    fn kind(&self) -> StrategyKind {
        StrategyKind::SingleWriter
    }

    fn clone_box(&self) -> Box<dyn Strategy> {
        Box::new(self.clone())
    }

    fn start(&mut self, ctx: &mut Ctx) {
        for r in RegionId::all() {
            // A fresh follower gives the leader a full timeout to be heard.
            self.last_heard[r.index()] = ctx.now();
            self.arm(ctx, r);
        }
    }

    fn restart(&mut self, ctx: &mut Ctx, region: RegionId) {
        self.last_heard[region.index()] = ctx.now();
        self.arm(ctx, region);
    }

    fn like(&mut self, ctx: &mut Ctx, region: RegionId) -> Result<Accepted, Refusal> {
        if region == self.leader {
            self.tally.add(region, 1);
            self.publish(ctx, None);
            return Ok(Accepted::Now);
        }
        if self.suspects(region, ctx.now()) {
            return Err(Refusal::Unavailable(region));
        }
        let r = region.index();
        self.taken[r] += 1;
        ctx.send(region, self.leader, Message::Forward { origin: region, upto: self.taken[r] });
        Ok(Accepted::Later)
    }

    fn deliver(&mut self, ctx: &mut Ctx, _from: RegionId, to: RegionId, msg: Message) {
        match msg {
            Message::Forward { origin, upto } if to == self.leader => {
                // Apply what is new; answer every copy (an answer may have been lost).
                if upto > self.tally.get(origin) {
                    self.tally.set(origin, upto);
                    self.publish(ctx, Some(origin));
                }
                let answer = Message::Applied {
                    origin,
                    upto: self.tally.get(origin),
                    value: self.tally.sum(),
                    tally: self.tally,
                };
                ctx.send(self.leader, origin, answer);
            }
            Message::Applied { origin, upto, tally, .. } if to == origin => {
                self.hear(to, ctx.now(), tally);
                let r = to.index();
                let upto = upto.min(self.taken[r]);
                for _ in self.answered[r]..upto {
                    ctx.acknowledge(to);
                }
                self.answered[r] = self.answered[r].max(upto);
            }
            Message::Value { tally, .. } => self.hear(to, ctx.now(), tally),
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, region: RegionId, timer: Timer) {
        if timer != Timer::Retry {
            return;
        }
        if region == self.leader {
            self.publish(ctx, None);
        } else if self.in_doubt(region) > 0 {
            ctx.for_likes();
            let upto = self.taken[region.index()];
            ctx.send(region, self.leader, Message::Forward { origin: region, upto });
        }
        self.arm(ctx, region);
    }

    fn stages(&self) -> Vec<Stage> {
        vec![Stage {
            label: "Applied by the leader".into(),
            count: self.tally.sum(),
            note: format!("the one copy that decides, in {}", self.leader.info().city),
        }]
    }

    fn numbered(&self, origin: RegionId) -> u64 {
        if origin == self.leader {
            self.tally.get(origin)
        } else {
            self.taken[origin.index()]
        }
    }

    fn holdings(&self, region: RegionId) -> Tally {
        // A follower also holds the likes it took itself (its forward log).
        let mut t = self.tally(region);
        t.set(region, t.get(region).max(self.numbered(region)));
        t
    }

    fn tally(&self, region: RegionId) -> Tally {
        if region == self.leader {
            self.tally
        } else {
            self.shown[region.index()]
        }
    }

    fn available(&self, region: RegionId, now: Millis) -> bool {
        !self.suspects(region, now)
    }

    fn would_change(&self, _from: RegionId, to: RegionId, msg: &Message) -> bool {
        match msg {
            Message::Forward { origin, upto } => to == self.leader && *upto > self.tally.get(*origin),
            Message::Applied { upto, value, .. } => {
                *upto > self.answered[to.index()] || *value > self.shown[to.index()].sum()
            }
            Message::Value { value, .. } => to != self.leader && *value > self.shown[to.index()].sum(),
            _ => false,
        }
    }

    fn pending(&self) -> Vec<Pending> {
        let n: u64 = RegionId::all().map(|r| self.in_doubt(r)).sum();
        if n == 0 {
            return Vec::new();
        }
        vec![Pending {
            count: n,
            what: format!("{} in doubt, forwarded and waiting for the leader's answer", super::likes(n)),
        }]
    }

    fn repairs(&self) -> bool {
        true
    }

    fn crash(&mut self, ctx: &mut Ctx, region: RegionId, durable: bool, in_flight: &[(RegionId, &Message)]) {
        if durable {
            return;
        }
        let r = region.index();
        if region == self.leader {
            // The leader comes back with what of its count survives
            // elsewhere: a follower's copy of it, a follower's own log of the
            // likes it took, or an answer still on its way. Its record of
            // what it applied rolls back with it, so a follower's re-sent
            // forward is applied again.
            let from_leader = in_flight.iter().filter(|(from, _)| *from == self.leader).filter_map(|(_, m)| match m {
                Message::Value { tally, .. } | Message::Applied { tally, .. } => Some(*tally),
                _ => None,
            });
            let followers = RegionId::all().filter(|&f| f != self.leader).map(|f| self.holdings(f));
            self.tally = self.tally.min(&followers.chain(from_leader).fold(Tally::default(), |acc, t| acc.max(&t)));
        } else {
            // A follower loses its record of the likes in doubt. Those the
            // leader holds count; those a forward still on its way carries
            // come back with it (the follower keeps re-sending them); the
            // others are gone, and their users are told so.
            let forwarded =
                in_flight.iter().filter(|(from, _)| *from == region).map(|(_, m)| m.knows(region)).max().unwrap_or(0);
            let applied = self.tally.get(region).min(self.taken[r]);
            let kept = applied.max(forwarded).min(self.taken[r]).max(self.answered[r]);
            for _ in self.answered[r]..applied.max(self.answered[r]) {
                ctx.acknowledge(region);
            }
            for _ in kept..self.taken[r] {
                ctx.refuse(region);
            }
            self.taken[r] = kept;
            self.answered[r] = applied.max(self.answered[r]);
            // Its copy of the leader's count keeps what survives elsewhere.
            let others = RegionId::all().filter(|&x| x != region).map(|x| self.holdings(x));
            self.shown[r] = super::survivors(self.shown[r], others, in_flight);
        }
    }

    fn seed(&mut self, tallies: &[Tally]) {
        // The migration gives the one copy that decides everything any
        // replica held; followers start from what they held.
        self.tally = tallies.iter().fold(Tally::default(), |acc, t| acc.max(t));
        self.shown = tallies.to_vec();
        // The new leader has applied nothing forwarded yet: followers number
        // their likes afresh, from what the leader already counts of them.
        for r in RegionId::all() {
            self.taken[r.index()] = self.tally.get(r);
            self.answered[r.index()] = self.tally.get(r);
        }
    }

    fn abandon(&mut self, ctx: &mut Ctx) {
        // Likes in doubt end here: counted if the leader holds them.
        for r in RegionId::all().filter(|&r| r != self.leader) {
            let i = r.index();
            let held = self.tally.get(r).min(self.taken[i]).max(self.answered[i]);
            for _ in self.answered[i]..held {
                ctx.acknowledge(r);
            }
            for _ in held..self.taken[i] {
                ctx.refuse(r);
            }
            // Refused likes leave the log: they must not count anywhere.
            self.taken[i] = held;
            self.answered[i] = held;
        }
    }

    fn reference(&self, origin: RegionId, rc: &RefCtx) -> Option<Reference> {
        let to_leader = rc.dist(origin, self.leader)?;
        let (out, far) = rc.farthest(self.leader)?;
        let path = if origin == self.leader {
            format!("{} (leader) → {}", self.leader.info().city, far.info().city)
        } else {
            format!("{} → {} (leader) → {}", origin.info().city, self.leader.info().city, far.info().city)
        };
        Some(Reference::new(rc.now, 0, to_leader + out, path, "forward"))
    }

    fn next_send(&self, region: RegionId, _now: Millis) -> Option<Millis> {
        self.next_tick[region.index()]
    }
}
