//! Super likes as sagas, run over the room's simulated network.
//!
//! [`crate::saga`] is the pure core: a saga's steps, its compensations, and
//! three idempotent services. This module puts it on the map:
//! - each service lives in one region: **Wallets** in Virginia (money has
//!   one writer), **Likes** in Frankfurt, **Payouts** in São Paulo, where
//!   the post's author lives;
//! - the **orchestrator** of a saga runs in the region where the person
//!   clicked, and talks to the services with requests and replies that
//!   cross the same links as replication messages — delay, jitter, loss,
//!   duplication, cuts and crashes all apply;
//! - the orchestrator re-sends an unanswered request every
//!   [`RETRY_MS`]; a forward step still unanswered after [`TIMEOUT_MS`]
//!   fails the saga, and the steps done (and the one that timed out, which
//!   may have run) are compensated in reverse, retried until answered;
//! - the Likes service is the single writer of the super likes, and pushes
//!   every change to every region (re-sent until acknowledged): each region
//!   shows the super likes it last heard of, so a super like that is later
//!   compensated is visibly seen, then taken back;
//! - the services keep their data on disk whatever the room's durable
//!   switch says (a bank does not run on memory). The orchestrator's saga
//!   log follows the switch: durable, a crashed orchestrator resumes its
//!   sagas when it restarts; volatile, the crash forgets the sagas it was
//!   running, and a coin already debited stays *stranded* in flight —
//!   conserved, never paid, never refunded. The verdict counts those.
//!
//! Money is checked after every saga event: coins in wallets + coins paid
//! out + coins in flight must equal the coins ever issued.

use super::Simulation;
use crate::crdt::PersonId;
use crate::kernel::agenda::{Event, SagaEnvelope};
use crate::kernel::{scale, Millis};
use crate::protocol::history::{Fate, HistoryEvent, MsgEvent};
use crate::region::RegionId;
use crate::saga::{Action, Reply, Request, Saga, SagaId, SagaState, Services, StepState, Wire, STEPS};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where the Wallets service lives.
pub const WALLETS_AT: usize = 4; // Virginia
/// Where the Likes service lives.
pub const LIKES_AT: usize = 3; // Frankfurt
/// Where the Payouts service lives: the post's author's region.
pub const PAYOUTS_AT: usize = 5; // São Paulo

/// How often an orchestrator re-sends an unanswered request (and the
/// Likes service re-sends unacknowledged super likes), in simulated ms
/// before the room's time scale.
pub const RETRY_MS: Millis = 2_000;

/// How long a forward step may go unanswered before the saga fails. The
/// longest round trip (Tokyo–São Paulo and back) is about 4 s.
pub const TIMEOUT_MS: Millis = 6_000;

/// Most sagas one room may start: every saga leaves a few entries in the
/// services' memory of what they applied (their idempotency), which a
/// room must bound.
pub const MAX_SAGAS: u64 = 5_000;

/// Most ended sagas a room keeps for viewers; older ones are trimmed (and
/// counted), their effects stay.
pub const KEPT_ENDED: usize = 40;

/// The region a service lives in.
pub fn service_region(action: Action) -> RegionId {
    let at = match action.service() {
        crate::saga::Service::Wallets => WALLETS_AT,
        crate::saga::Service::Likes => LIKES_AT,
        crate::saga::Service::Payouts => PAYOUTS_AT,
    };
    RegionId::from_index(at).unwrap_or_else(|| RegionId::all().next().expect("regions"))
}

/// The saga service `region` hosts, by name ("Wallets", "Likes",
/// "Payouts"), if any.
pub fn service_hosted_by(region: RegionId) -> Option<&'static str> {
    use crate::saga::Action;
    [(Action::Debit, "Wallets"), (Action::Record, "Likes"), (Action::Credit, "Payouts")]
        .into_iter()
        .find(|(a, _)| service_region(*a) == region)
        .map(|(_, name)| name)
}

/// One saga in its orchestrator's log.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub(crate) saga: Saga,
    /// The orchestrator's region (where the person clicked).
    pub(crate) region: RegionId,
    pub(crate) started_at: Millis,
    /// When the step now waited for was first sent.
    pub(crate) step_since: Millis,
    /// A volatile crash of its orchestrator forgot it.
    pub(crate) forgotten: bool,
}

/// Why a super like was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SuperLikeRefusal {
    #[error("{} is down: no orchestrator runs there", .0.info().city)]
    Unavailable(RegionId),
    #[error("this room ran its {MAX_SAGAS} sagas; fork it to go on")]
    TooMany,
}

/// Everything the sagas hold in one room.
#[derive(Debug, Clone)]
pub(crate) struct Sagas {
    pub(crate) services: Services,
    pub(crate) runs: BTreeMap<SagaId, Run>,
    pub(crate) started: u64,
    pub(crate) done: u64,
    pub(crate) compensated: u64,
    pub(crate) forgotten: u64,
    /// The sagas forgotten, kept after their rows are trimmed: a debit
    /// still on the wire can strand their coin later.
    forgotten_ids: BTreeSet<SagaId>,
    /// Ended sagas trimmed from `runs`.
    pub(crate) trimmed: u64,
    /// The Likes service's version and what each region last heard of it.
    version: u64,
    shown: Vec<(u64, Vec<SagaId>)>,
    acked: Vec<u64>,
    /// When each super like was first shown by any region.
    pub(crate) seen_at: BTreeMap<SagaId, Millis>,
    /// Super likes shown somewhere, then taken back.
    pub(crate) seen_then_taken_back: u64,
    /// A tick is on the agenda for this region.
    tick_armed: Vec<bool>,
    /// The first moment money did not add up, if ever.
    pub(crate) broken_at: Option<Millis>,
}

impl Default for Sagas {
    fn default() -> Self {
        Sagas {
            services: Services::new(BTreeMap::new()),
            runs: BTreeMap::new(),
            started: 0,
            done: 0,
            compensated: 0,
            forgotten: 0,
            forgotten_ids: BTreeSet::new(),
            trimmed: 0,
            version: 0,
            shown: vec![(0, Vec::new()); RegionId::COUNT],
            acked: vec![0; RegionId::COUNT],
            seen_at: BTreeMap::new(),
            seen_then_taken_back: 0,
            tick_armed: vec![false; RegionId::COUNT],
            broken_at: None,
        }
    }
}

impl Sagas {
    /// The super likes `region` shows.
    pub(crate) fn shown(&self, region: RegionId) -> usize {
        self.shown[region.index()].1.len()
    }

    fn has_work(&self, region: RegionId) -> bool {
        let orchestrating = self.runs.values().any(|r| r.region == region && !r.forgotten && !r.saga.ended());
        let behind = region == likes_region() && RegionId::all().any(|x| self.acked[x.index()] < self.version);
        orchestrating || behind
    }
}

fn likes_region() -> RegionId {
    service_region(Action::Record)
}

/// A saga as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaRow {
    pub id: SagaId,
    pub person: PersonId,
    /// Where the orchestrator runs (where the person clicked).
    pub region: RegionId,
    pub started_at: Millis,
    /// `running`, `done`, `compensated`, or `stranded` (its orchestrator
    /// crashed without a durable saga log and forgot it).
    pub state: String,
    /// Debit, record, credit, in order.
    pub steps: [StepState; 3],
    /// What is being sent now, while running (e.g. "refund").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<Action>,
    /// Why it failed: `refused` or `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_by: Option<String>,
}

/// The sagas of a room, in every frame once a super like was clicked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagasView {
    /// The most recent sagas, newest first (at most [`KEPT_ENDED`] ended
    /// ones plus the running ones; see `trimmed`).
    pub rows: Vec<SagaRow>,
    pub trimmed: u64,
    /// Coins per person who has a wallet (a person without one has
    /// [`crate::saga::OPENING_COINS`]).
    pub wallets: Vec<(PersonId, u64)>,
    pub payouts_open: bool,
    /// Super likes each region shows, in catalog order.
    pub super_likes: Vec<u64>,
    /// Where the three services live: wallets, likes, payouts.
    pub services: [RegionId; 3],
}

/// The sagas' figures on the verdict panel (see the README's verdict
/// table), present once a super like was clicked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SagaVerdict {
    /// Coins ever put into wallets.
    pub issued: u64,
    pub in_wallets: u64,
    pub paid_out: u64,
    /// Debited, neither paid for good nor refunded (yet).
    pub in_flight: u64,
    /// `in_wallets + paid_out + in_flight == issued` after every saga
    /// event so far.
    pub conserved: bool,
    /// The first moment it did not hold, if ever.
    pub broken_at: Option<Millis>,
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    pub running: u64,
    /// Forgotten by a volatile crash of their orchestrator.
    pub stranded: u64,
    /// Super likes a region showed that were later taken back.
    pub seen_then_taken_back: u64,
    /// Of the coins in flight, those of stranded sagas: they never move
    /// again.
    pub stranded_coins: u64,
}

impl Simulation {
    /// `person` super-likes the post at `region` at time `now`: starts a
    /// saga whose orchestrator runs at `region`.
    pub fn super_like(&mut self, region: RegionId, person: PersonId, now: Millis) -> Result<SagaId, SuperLikeRefusal> {
        self.advance(now);
        if !self.world.live(region) {
            return Err(SuperLikeRefusal::Unavailable(region));
        }
        if self.sagas.started >= MAX_SAGAS {
            return Err(SuperLikeRefusal::TooMany);
        }
        let id = self.sagas.started + 1;
        self.sagas.started += 1;
        let now = self.world.now;
        let run = Run { saga: Saga::start(id, person), region, started_at: now, step_since: now, forgotten: false };
        self.sagas.runs.insert(id, run);
        self.drive(id);
        self.arm_tick(region);
        self.saga_changed();
        Ok(id)
    }

    /// Opens or closes the author's payouts (closed, every credit fails).
    pub fn set_payouts_open(&mut self, open: bool) {
        self.sagas.services.payouts_closed = !open;
        self.changed();
    }

    pub fn payouts_open(&self) -> bool {
        !self.sagas.services.payouts_closed
    }

    /// Sends the pending request of saga `id` — or, when its service lives
    /// in the orchestrator's own region, runs it there at once and goes on
    /// with the next step.
    fn drive(&mut self, id: SagaId) {
        loop {
            let Some(run) = self.sagas.runs.get(&id) else { return };
            if run.forgotten {
                return;
            }
            let Some(req) = run.saga.pending() else { return };
            let from = run.region;
            let to = service_region(req.action);
            if from != to {
                self.saga_send(from, to, Wire::Request(req));
                return;
            }
            let reply = self.serve(req);
            self.take_reply(reply);
        }
    }

    /// A service runs a request (at most once) and answers it.
    fn serve(&mut self, req: Request) -> Reply {
        let first = !self.sagas.services.ran(req.saga, req.action);
        let reply = self.sagas.services.handle(req);
        if first {
            #[cfg(test)]
            self.trace.push(super::oracle::Trace::SagaRan {
                saga: req.saga,
                person: req.person,
                action: req.action,
                ok: reply.ok,
            });
            if matches!(req.action, Action::Record | Action::Unrecord) {
                self.publish_super_likes();
                if req.action == Action::Unrecord && self.sagas.services.undone(req.saga, Action::Record) {
                    if let Some(&seen_at) = self.sagas.seen_at.get(&req.saga) {
                        self.sagas.seen_then_taken_back += 1;
                        let at = self.world.now;
                        self.record(|| HistoryEvent::TakenBack { at, seen_at, saga: req.saga });
                    }
                }
            }
        }
        reply
    }

    /// The orchestrator hears a reply.
    fn take_reply(&mut self, reply: Reply) {
        let now = self.world.now;
        let Some(run) = self.sagas.runs.get_mut(&reply.saga) else { return };
        if run.forgotten {
            return;
        }
        let before = run.saga.clone();
        run.saga.on_reply(reply);
        if run.saga == before {
            return;
        }
        run.step_since = now;
        match run.saga.state {
            SagaState::Done => self.sagas.done += 1,
            SagaState::Compensated { .. } => self.sagas.compensated += 1,
            _ => {}
        }
    }

    /// The Likes service changed the super likes: its own region shows
    /// them at once, every other region once the push lands.
    fn publish_super_likes(&mut self) {
        let from = likes_region();
        self.sagas.version += 1;
        let version = self.sagas.version;
        let sagas: Vec<SagaId> = self.sagas.services.super_likes.iter().copied().collect();
        self.show(from, version, sagas.clone());
        self.sagas.acked[from.index()] = version;
        for to in RegionId::all().filter(|&to| to != from) {
            self.saga_send(from, to, Wire::SuperLikes { version, sagas: sagas.clone() });
        }
        self.arm_tick(from);
    }

    /// `region` now shows the super likes of `version` (if newer).
    fn show(&mut self, region: RegionId, version: u64, sagas: Vec<SagaId>) {
        if self.sagas.shown[region.index()].0 >= version {
            return;
        }
        let now = self.world.now;
        for &s in &sagas {
            if let std::collections::btree_map::Entry::Vacant(e) = self.sagas.seen_at.entry(s) {
                e.insert(now);
                #[cfg(test)]
                self.trace.push(super::oracle::Trace::SuperSeen(s));
            }
        }
        let before = self.sagas.shown[region.index()].1.len();
        self.sagas.shown[region.index()] = (version, sagas);
        if before != self.sagas.shown[region.index()].1.len() {
            let values: [u64; RegionId::COUNT] = std::array::from_fn(|i| self.sagas.shown[i].1.len() as u64);
            self.record(|| HistoryEvent::SuperLikes { at: now, values });
        }
    }

    /// Puts a saga message on the link `from -> to`, under the link's
    /// conditions, with the room's seeded randomness.
    fn saga_send(&mut self, from: RegionId, to: RegionId, msg: Wire) {
        let now = self.world.now;
        let link = self.world.net.link(from, to).clone();
        if link.cut || !self.world.live(to) {
            let label = msg.label();
            self.record(|| {
                HistoryEvent::Msg(MsgEvent {
                    from,
                    to,
                    sent_at: now,
                    end_at: now,
                    label,
                    like: false,
                    fate: Fate::Refused,
                    dup: false,
                    merged: false,
                    saga: true,
                })
            });
            return;
        }
        let rng = &mut self.world.rng;
        let roll = |rng: &mut rand_chacha::ChaCha8Rng, p: f64| p > 0.0 && rng.random::<f64>() < p;
        let lost = roll(rng, link.loss);
        let copies = if !lost && roll(rng, link.duplicate) { 2 } else { 1 };
        for copy in 0..copies {
            let jitter = if link.jitter_ms > 0 { rng.random_range(0..=link.jitter_ms) } else { 0 };
            let arrive_at = now + Millis::from(link.latency_ms) + Millis::from(jitter);
            let envelope = SagaEnvelope { from, to, sent_at: now, arrive_at, lost, dup: copy == 1, msg: msg.clone() };
            self.world.agenda.push(arrive_at, Event::Saga(Box::new(envelope)));
        }
    }

    /// A saga message left the wire at `at` (called by `advance`).
    pub(crate) fn saga_arrive(&mut self, envelope: SagaEnvelope, at: Millis) {
        let deliver =
            !envelope.lost && !self.world.net.link(envelope.from, envelope.to).cut && self.world.live(envelope.to);
        let label = envelope.msg.label();
        self.record(|| {
            HistoryEvent::Msg(MsgEvent {
                from: envelope.from,
                to: envelope.to,
                sent_at: envelope.sent_at,
                end_at: at,
                label,
                like: false,
                fate: if deliver { Fate::Delivered } else { Fate::Lost },
                dup: envelope.dup,
                merged: false,
                saga: true,
            })
        });
        if !deliver {
            return;
        }
        let (from, to) = (envelope.from, envelope.to);
        match envelope.msg {
            Wire::Request(req) => {
                // A request reaching a region that hosts no such service
                // cannot happen: requests go to `service_region`.
                if service_region(req.action) == to {
                    let reply = self.serve(req);
                    self.saga_send(to, from, Wire::Reply(reply));
                }
            }
            Wire::Reply(reply) => {
                if self.sagas.runs.get(&reply.saga).is_some_and(|r| r.region == to) {
                    self.take_reply(reply);
                    self.drive(reply.saga);
                }
            }
            Wire::SuperLikes { version, sagas } => {
                self.show(to, version, sagas);
                self.saga_send(to, from, Wire::SuperLikesAck { version });
            }
            Wire::SuperLikesAck { version } => {
                let acked = &mut self.sagas.acked[from.index()];
                *acked = (*acked).max(version);
            }
        }
        self.saga_changed();
    }

    /// A region's saga tick (called by `advance`): time out overdue steps,
    /// re-send what is unanswered, and re-arm while work remains.
    pub(crate) fn saga_tick(&mut self, region: RegionId, epoch: u32) {
        if self.world.epochs[region.index()] != epoch {
            return;
        }
        self.sagas.tick_armed[region.index()] = false;
        if !self.world.live(region) {
            return;
        }
        let now = self.world.now;
        let timeout = scale(TIMEOUT_MS, self.world.time_scale);
        let mine: Vec<SagaId> = self
            .sagas
            .runs
            .iter()
            .filter(|(_, r)| r.region == region && !r.forgotten && !r.saga.ended())
            .map(|(&id, _)| id)
            .collect();
        for id in mine {
            if let Some(run) = self.sagas.runs.get_mut(&id) {
                if run.saga.waiting_for().is_some() && now.saturating_sub(run.step_since) >= timeout {
                    run.saga.on_timeout();
                    run.step_since = now;
                    if matches!(run.saga.state, SagaState::Compensated { .. }) {
                        self.sagas.compensated += 1;
                    }
                }
            }
            self.drive(id);
        }
        if region == likes_region() {
            let version = self.sagas.version;
            let sagas: Vec<SagaId> = self.sagas.services.super_likes.iter().copied().collect();
            let behind: Vec<RegionId> =
                RegionId::all().filter(|&to| to != region && self.sagas.acked[to.index()] < version).collect();
            for to in behind {
                self.saga_send(region, to, Wire::SuperLikes { version, sagas: sagas.clone() });
            }
        }
        self.arm_tick(region);
        self.saga_changed();
    }

    /// Puts the region's next tick on the agenda, if it has work and none
    /// is armed.
    fn arm_tick(&mut self, region: RegionId) {
        let i = region.index();
        if self.sagas.tick_armed[i] || !self.world.live(region) || !self.sagas.has_work(region) {
            return;
        }
        self.sagas.tick_armed[i] = true;
        let at = self.world.now + scale(RETRY_MS, self.world.time_scale);
        let epoch = self.world.epochs[i];
        self.world.agenda.push(at, Event::SagaTick { region, epoch });
    }

    /// `region` crashed (its epoch already moved on, so its tick is stale).
    /// Without a durable saga log its orchestrator forgets the sagas it
    /// was running.
    pub(crate) fn saga_crash(&mut self, region: RegionId) {
        self.sagas.tick_armed[region.index()] = false;
        if self.config.durable {
            return;
        }
        for run in self.sagas.runs.values_mut().filter(|r| r.region == region && !r.saga.ended() && !r.forgotten) {
            run.forgotten = true;
            self.sagas.forgotten += 1;
            self.sagas.forgotten_ids.insert(run.saga.id);
        }
    }

    /// `region` restarted: its orchestrator resumes from its saga log. Its
    /// timers died with it, so each step it waits for gets a fresh timeout
    /// from now (the log keeps states, not clocks).
    pub(crate) fn saga_restart(&mut self, region: RegionId) {
        let now = self.world.now;
        for run in self.sagas.runs.values_mut().filter(|r| r.region == region && !r.forgotten && !r.saga.ended()) {
            run.step_since = now;
        }
        self.arm_tick(region);
    }

    /// After every saga event: trim ended sagas, and check the money.
    fn saga_changed(&mut self) {
        let ended: Vec<SagaId> =
            self.sagas.runs.iter().filter(|(_, r)| r.saga.ended() || r.forgotten).map(|(&id, _)| id).collect();
        if ended.len() > KEPT_ENDED {
            for id in &ended[..ended.len() - KEPT_ENDED] {
                self.sagas.runs.remove(id);
                self.sagas.trimmed += 1;
            }
        }
        let s = &self.sagas.services;
        if s.coins() + s.in_flight() != s.issued && self.sagas.broken_at.is_none() {
            self.sagas.broken_at = Some(self.world.now);
        }
        self.changed();
    }

    /// The sagas' figures, once a super like was clicked.
    pub(crate) fn saga_verdict(&self) -> Option<SagaVerdict> {
        let sg = &self.sagas;
        if sg.started == 0 {
            return None;
        }
        let s = &sg.services;
        let in_wallets = s.wallets.values().sum::<u64>();
        let in_flight = s.in_flight();
        let stranded_coins = sg
            .forgotten_ids
            .iter()
            .filter(|&&id| s.succeeded(id, Action::Debit) && !s.undone(id, Action::Debit))
            .filter(|&&id| !s.succeeded(id, Action::Credit) || s.undone(id, Action::Credit))
            .count() as u64;
        Some(SagaVerdict {
            issued: s.issued,
            in_wallets,
            paid_out: s.paid_out,
            in_flight,
            conserved: sg.broken_at.is_none() && in_wallets + s.paid_out + in_flight == s.issued,
            broken_at: sg.broken_at,
            started: sg.started,
            completed: sg.done,
            compensated: sg.compensated,
            running: sg.started - sg.done - sg.compensated - sg.forgotten,
            stranded: sg.forgotten,
            seen_then_taken_back: sg.seen_then_taken_back,
            stranded_coins,
        })
    }

    /// The sagas for viewers, once a super like was clicked.
    pub(crate) fn sagas_view(&self) -> Option<SagasView> {
        let sg = &self.sagas;
        if sg.started == 0 && self.payouts_open() {
            return None;
        }
        let rows = sg
            .runs
            .iter()
            .rev()
            .map(|(&id, r)| SagaRow {
                id,
                person: r.saga.person,
                region: r.region,
                started_at: r.started_at,
                state: match r.saga.state {
                    _ if r.forgotten => "stranded",
                    SagaState::Done => "done",
                    SagaState::Compensated { .. } => "compensated",
                    _ => "running",
                }
                .to_owned(),
                steps: STEPS.map(|s| r.saga.step_state(s)),
                now: if r.forgotten { None } else { r.saga.pending().map(|p| p.action) },
                failed_by: match r.saga.state {
                    SagaState::Compensating { .. } | SagaState::Compensated { .. } => {
                        Some(if r.saga.timed_out { "timeout" } else { "refused" }.to_owned())
                    }
                    _ => None,
                },
            })
            .collect();
        Some(SagasView {
            rows,
            trimmed: sg.trimmed,
            wallets: sg.services.wallets.iter().map(|(&p, &c)| (p, c)).collect(),
            payouts_open: self.payouts_open(),
            super_likes: RegionId::all().map(|r| sg.shown(r) as u64).collect(),
            services: [service_region(Action::Debit), service_region(Action::Record), service_region(Action::Credit)],
        })
    }

    /// The services' data (tests).
    #[cfg(test)]
    pub(crate) fn saga_services(&self) -> &Services {
        &self.sagas.services
    }
}
