//! A saga: one business action spread over several services, each with its
//! own local transaction, and undone by *compensating* transactions when a
//! later step fails.
//!
//! # The action
//! A **super like** costs the liker one coin and pays the post's author one
//! coin. Three services take part, each owning its own data:
//! - **Wallets** holds every person's coins (money: a single writer, never
//!   eventually consistent);
//! - **Likes** records the super like;
//! - **Payouts** holds the author's earnings, and can be closed.
//!
//! No transaction spans the three. The orchestrator runs the steps in
//! order — debit the wallet, record the super like, credit the author — and
//! if a step fails (no coins, payouts closed), it runs the compensations of
//! the steps already done, in reverse: remove the super like, refund the
//! coin.
//!
//! # What makes it safe on a real network
//! Requests and replies can be lost or duplicated, so the orchestrator
//! re-sends a request until it hears the reply, and every service applies a
//! request at most once: it remembers `(saga, action)` and answers a repeat
//! with the outcome it already had. So every step and every compensation
//! runs exactly once, however often it is sent — and money is conserved at
//! every moment: coins in wallets + coins paid out + coins on their way
//! (debited, not yet credited or refunded) never changes.
//!
//! # What it gives up
//! Isolation. Between "record" and a failed "credit", everyone can see a
//! super like that will be taken back. The saga is eventually consistent
//! across services; only each step is atomic.

use crate::crdt::PersonId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A saga's id.
pub type SagaId = u64;

/// A local transaction at one service, or its compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Debit,
    Record,
    Credit,
    /// Compensates `Record`.
    Unrecord,
    /// Compensates `Debit`.
    Refund,
    /// Compensates `Credit`. Only a credit that *timed out* is ever
    /// compensated (a credit that answered is the saga's last step): its
    /// outcome is unknown, so the orchestrator takes it back to be sure.
    Uncredit,
}

impl Action {
    /// The service that runs it.
    pub fn service(self) -> Service {
        match self {
            Action::Debit | Action::Refund => Service::Wallets,
            Action::Record | Action::Unrecord => Service::Likes,
            Action::Credit | Action::Uncredit => Service::Payouts,
        }
    }

    /// The compensation of a forward step.
    pub fn compensation(self) -> Option<Action> {
        match self {
            Action::Debit => Some(Action::Refund),
            Action::Record => Some(Action::Unrecord),
            Action::Credit => Some(Action::Uncredit),
            _ => None,
        }
    }

    /// The forward step a compensation undoes.
    pub fn undoes(self) -> Option<Action> {
        STEPS.into_iter().find(|s| s.compensation() == Some(self))
    }

    /// Its name on the wire and in the history stream.
    pub fn label(self) -> &'static str {
        match self {
            Action::Debit => "debit",
            Action::Record => "record",
            Action::Credit => "credit",
            Action::Unrecord => "unrecord",
            Action::Refund => "refund",
            Action::Uncredit => "uncredit",
        }
    }
}

/// The three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Wallets,
    Likes,
    Payouts,
}

/// The forward steps, in order.
pub const STEPS: [Action; 3] = [Action::Debit, Action::Record, Action::Credit];

/// A request from the orchestrator to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub saga: SagaId,
    pub person: PersonId,
    pub action: Action,
}

/// A service's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub saga: SagaId,
    pub action: Action,
    pub ok: bool,
}

/// What travels between regions for the sagas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wire {
    /// Orchestrator → service.
    Request(Request),
    /// Service → orchestrator.
    Reply(Reply),
    /// The Likes service → a region: the super likes recorded now (the
    /// service is their single writer; `version` counts its changes, so a
    /// region keeps the newest it heard, whatever order copies land in).
    SuperLikes { version: u64, sagas: Vec<SagaId> },
    /// A region → the Likes service: "I show your version `version`".
    SuperLikesAck { version: u64 },
}

impl Wire {
    /// Its name in the history stream ("debit", "debit ok", "super likes" ...).
    pub fn label(&self) -> String {
        match self {
            Wire::Request(r) => r.action.label().to_owned(),
            Wire::Reply(r) => format!("{} {}", r.action.label(), if r.ok { "ok" } else { "failed" }),
            Wire::SuperLikes { .. } => "super likes".to_owned(),
            Wire::SuperLikesAck { .. } => "super likes ack".to_owned(),
        }
    }
}

/// Where a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SagaState {
    /// Waiting for the reply to this forward step.
    Running {
        step: Action,
    },
    /// A step failed; waiting for the reply to this compensation.
    Compensating {
        failed: Action,
        step: Action,
    },
    Done,
    /// Every completed step was undone.
    Compensated {
        failed: Action,
    },
}

/// Where one forward step of a saga stands, as a viewer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not answered yet (or not sent yet).
    Pending,
    Done,
    /// It failed (refused, or unanswered past its timeout).
    Failed,
    /// It was done, then undone by its compensation.
    Compensated,
    /// Never run: an earlier step failed.
    Skipped,
}

/// The orchestrator's record of one saga (its saga log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saga {
    pub id: SagaId,
    pub person: PersonId,
    pub state: SagaState,
    /// Forward steps completed (or, for a step that timed out, possibly
    /// completed), in order, and not yet compensated.
    pub done: Vec<Action>,
    /// Forward steps whose compensation completed.
    #[serde(default)]
    pub undone: Vec<Action>,
    /// The failed step failed by timing out, not by a refusal.
    #[serde(default)]
    pub timed_out: bool,
}

impl Saga {
    pub fn start(id: SagaId, person: PersonId) -> Saga {
        Saga {
            id,
            person,
            state: SagaState::Running { step: Action::Debit },
            done: Vec::new(),
            undone: Vec::new(),
            timed_out: false,
        }
    }

    /// The forward step still waiting for an answer, if any.
    pub fn waiting_for(&self) -> Option<Action> {
        match self.state {
            SagaState::Running { step } => Some(step),
            _ => None,
        }
    }

    /// Whether the saga ended (done or compensated).
    pub fn ended(&self) -> bool {
        matches!(self.state, SagaState::Done | SagaState::Compensated { .. })
    }

    /// The forward step waiting for an answer went unanswered past its
    /// timeout: the saga fails. The step may have run (only its reply was
    /// lost), so it is compensated too, with the others, in reverse; the
    /// services make a compensation of a step that never ran harmless.
    pub fn on_timeout(&mut self) {
        if let SagaState::Running { step } = self.state {
            self.timed_out = true;
            self.done.push(step);
            self.state = self.next_compensation(step);
        }
    }

    /// Where forward step `step` stands.
    pub fn step_state(&self, step: Action) -> StepState {
        let failed = match self.state {
            SagaState::Compensating { failed, .. } | SagaState::Compensated { failed } => Some(failed),
            _ => None,
        };
        if self.undone.contains(&step) && failed != Some(step) {
            return StepState::Compensated;
        }
        if failed == Some(step) {
            return StepState::Failed;
        }
        if self.done.contains(&step) || self.state == SagaState::Done {
            return StepState::Done;
        }
        let order = |a: Action| STEPS.iter().position(|&s| s == a);
        match failed {
            Some(f) if order(step) > order(f) => StepState::Skipped,
            _ => StepState::Pending,
        }
    }

    /// The request to (re-)send now, if the saga is still running.
    pub fn pending(&self) -> Option<Request> {
        let action = match self.state {
            SagaState::Running { step } | SagaState::Compensating { step, .. } => step,
            SagaState::Done | SagaState::Compensated { .. } => return None,
        };
        Some(Request { saga: self.id, person: self.person, action })
    }

    /// Takes a reply; stale and repeated replies change nothing.
    pub fn on_reply(&mut self, reply: Reply) {
        if reply.saga != self.id || self.pending().map(|r| r.action) != Some(reply.action) {
            return;
        }
        self.state = match self.state {
            SagaState::Running { step } if reply.ok => {
                self.done.push(step);
                match STEPS.iter().position(|&s| s == step).and_then(|i| STEPS.get(i + 1)) {
                    Some(&next) => SagaState::Running { step: next },
                    None => SagaState::Done,
                }
            }
            SagaState::Running { step } => self.next_compensation(step),
            // A compensation cannot fail for good: it is retried until done
            // (a refund or an unrecord of something the service holds).
            SagaState::Compensating { failed, step } => {
                self.done.retain(|&d| d.compensation() != Some(step));
                self.undone.extend(step.undoes());
                self.next_compensation(failed)
            }
            other => other,
        };
    }

    fn next_compensation(&self, failed: Action) -> SagaState {
        match self.done.iter().rev().find_map(|d| d.compensation()) {
            Some(step) => SagaState::Compensating { failed, step },
            None => SagaState::Compensated { failed },
        }
    }
}

/// Coins a person's wallet opens with, the first time they super-like.
pub const OPENING_COINS: u64 = 3;

/// The three services' data (in the lab, each lives in its own region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    pub wallets: BTreeMap<PersonId, u64>,
    /// Coins ever put into wallets (given at the start, and
    /// [`OPENING_COINS`] to each new wallet): what money conservation
    /// compares against.
    pub issued: u64,
    /// Sagas whose super like is recorded (visible to everyone).
    pub super_likes: BTreeSet<SagaId>,
    pub paid_out: u64,
    /// The lab switch that makes `Credit` fail.
    pub payouts_closed: bool,
    /// What each service already did: `(saga, action) -> outcome`, so a
    /// repeated request is answered without running again.
    applied: BTreeMap<(SagaId, Action), bool>,
    /// [`Services::in_flight`], kept up to date as `applied` changes. The
    /// room checks money after every saga event, and counting it afresh
    /// from every saga ever applied made each event cost time linear in
    /// the sagas so far: a room's 5 000 super likes (anyone in a private
    /// room may send them) took over a minute of its task.
    in_flight: u64,
}

impl Services {
    pub fn new(wallets: BTreeMap<PersonId, u64>) -> Services {
        let issued = wallets.values().sum();
        Services {
            wallets,
            issued,
            super_likes: BTreeSet::new(),
            paid_out: 0,
            payouts_closed: false,
            applied: BTreeMap::new(),
            in_flight: 0,
        }
    }

    /// Runs a request at most once and answers it (every time).
    pub fn handle(&mut self, req: Request) -> Reply {
        let ok = match self.applied.get(&(req.saga, req.action)) {
            Some(&ok) => ok,
            None => {
                // Only this saga's entries change (its step, and maybe a
                // tombstone), so only its coin can enter or leave the flight.
                let before = self.coin_in_flight(req.saga);
                let ok = self.run(req);
                self.applied.insert((req.saga, req.action), ok);
                let after = self.coin_in_flight(req.saga);
                self.in_flight = self.in_flight + u64::from(after) - u64::from(before);
                ok
            }
        };
        Reply { saga: req.saga, action: req.action, ok }
    }

    /// Whether `saga`'s coin is on its way: debited, and neither refunded
    /// nor credited for good.
    fn coin_in_flight(&self, saga: SagaId) -> bool {
        self.succeeded(saga, Action::Debit)
            && !self.undone(saga, Action::Debit)
            && (!self.succeeded(saga, Action::Credit) || self.undone(saga, Action::Credit))
    }

    /// [`Services::in_flight`] counted afresh from every saga applied: what
    /// the kept count must always equal (for tests).
    #[cfg(test)]
    fn recount(&self) -> u64 {
        let debited = self.applied.iter().filter(|(&(_, a), &ok)| a == Action::Debit && ok).map(|(&(s, _), _)| s);
        debited.filter(|&s| self.coin_in_flight(s)).count() as u64
    }

    /// Runs a request for the first time. A compensation that reaches its
    /// service before the step it undoes (the step's request still on the
    /// wire, or lost) leaves a tombstone: the step is recorded as failed,
    /// so when its request does arrive it is refused instead of run — else
    /// a late debit would take a coin that no refund ever gives back.
    fn run(&mut self, req: Request) -> bool {
        if let Some(step) = req.action.undoes() {
            match self.applied.get(&(req.saga, step)) {
                Some(true) => {}
                // Nothing to undo: the step failed or never ran.
                Some(false) => return true,
                None => {
                    self.applied.insert((req.saga, step), false);
                    return true;
                }
            }
        }
        match req.action {
            Action::Debit => {
                let issued = &mut self.issued;
                let coins = self.wallets.entry(req.person).or_insert_with(|| {
                    *issued += OPENING_COINS;
                    OPENING_COINS
                });
                if *coins == 0 {
                    return false;
                }
                *coins -= 1;
                true
            }
            Action::Record => {
                self.super_likes.insert(req.saga);
                true
            }
            Action::Credit => {
                if self.payouts_closed {
                    return false;
                }
                self.paid_out += 1;
                true
            }
            Action::Unrecord => {
                self.super_likes.remove(&req.saga);
                true
            }
            Action::Refund => {
                *self.wallets.entry(req.person).or_insert(0) += 1;
                true
            }
            Action::Uncredit => {
                self.paid_out = self.paid_out.saturating_sub(1);
                true
            }
        }
    }

    /// Whether `action` of `saga` ran and succeeded.
    pub fn succeeded(&self, saga: SagaId, action: Action) -> bool {
        self.applied.get(&(saga, action)) == Some(&true)
    }

    /// Whether `step` of `saga` ran, succeeded, and was then undone by its
    /// compensation (a compensation against a tombstone undoes nothing).
    pub fn undone(&self, saga: SagaId, step: Action) -> bool {
        self.succeeded(saga, step) && step.compensation().is_some_and(|c| self.ran(saga, c))
    }

    /// Coins debited and neither credited (for good) nor refunded yet:
    /// money on its way. With [`Services::coins`] it adds up to
    /// [`Services::issued`] at every moment. Read off the services alone,
    /// so it stays true when an orchestrator forgets a saga.
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// How many times `action` of `saga` actually ran (0 or 1).
    pub fn ran(&self, saga: SagaId, action: Action) -> bool {
        self.applied.contains_key(&(saga, action))
    }

    /// Coins in wallets plus coins paid out.
    pub fn coins(&self) -> u64 {
        self.wallets.values().sum::<u64>() + self.paid_out
    }
}

/// Coins debited by sagas and not yet credited or refunded (see
/// [`Services::in_flight`]).
pub fn in_flight(_sagas: &[Saga], services: &Services) -> u64 {
    services.in_flight()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn world(coins: &[u64]) -> Services {
        Services::new(coins.iter().enumerate().map(|(p, &c)| (p as PersonId, c)).collect())
    }

    /// Runs sagas over a network that loses and duplicates requests and
    /// replies, driven by `chaos`, checking money at every step; then lets
    /// every message through until all sagas end.
    fn run(
        coins: &[u64],
        starts: &[PersonId],
        closed_at: Option<usize>,
        chaos: &[(u8, usize)],
    ) -> (Vec<Saga>, Services) {
        let mut services = world(coins);
        let total = services.coins();
        let mut sagas: Vec<Saga> = starts.iter().enumerate().map(|(i, &p)| Saga::start(i as SagaId, p)).collect();
        let mut wire: Vec<Reply> = Vec::new();
        let check = |sagas: &[Saga], services: &Services| {
            assert_eq!(services.coins() + in_flight(sagas, services), total, "money is conserved");
            assert_eq!(services.in_flight(), services.recount(), "the kept count is the count");
        };
        for (i, &(what, k)) in chaos.iter().enumerate() {
            if Some(i) == closed_at {
                services.payouts_closed = true;
            }
            let s = k % sagas.len().max(1);
            let Some(req) = sagas.get(s).and_then(Saga::pending) else { continue };
            match what % 5 {
                0 => {} // the request is lost
                4 => sagas[s].on_timeout(),
                1 => wire.push(services.handle(req)),
                2 => {
                    // Duplicated: handled twice.
                    wire.push(services.handle(req));
                    wire.push(services.handle(req));
                }
                _ => {
                    // Deliver a reply still on the wire (possibly stale).
                    if let Some(reply) = wire.pop() {
                        for saga in &mut sagas {
                            saga.on_reply(reply);
                        }
                    }
                }
            }
            check(&sagas, &services);
        }
        // The network heals: retries go through until every saga ends.
        for _ in 0..100 {
            for saga in &mut sagas {
                if let Some(req) = saga.pending() {
                    let reply = services.handle(req);
                    saga.on_reply(reply);
                }
            }
            check(&sagas, &services);
        }
        (sagas, services)
    }

    #[test]
    fn a_super_like_pays_the_author() {
        let (sagas, services) = run(&[3], &[0], None, &[]);
        assert_eq!(sagas[0].state, SagaState::Done);
        assert_eq!((services.wallets[&0], services.paid_out, services.super_likes.len()), (2, 1, 1));
    }

    #[test]
    fn closed_payouts_are_compensated_and_the_coin_comes_back() {
        let (sagas, services) = run(&[3], &[0], Some(0), &[(1, 0)]);
        assert_eq!(sagas[0].state, SagaState::Compensated { failed: Action::Credit });
        assert_eq!((services.wallets[&0], services.paid_out), (3, 0));
        assert!(services.super_likes.is_empty(), "the super like was taken back");
        assert!(services.ran(0, Action::Record), "…after everyone could see it");
    }

    #[test]
    fn no_coins_no_super_like() {
        let (sagas, services) = run(&[0], &[0], None, &[]);
        assert_eq!(sagas[0].state, SagaState::Compensated { failed: Action::Debit });
        assert!(!services.ran(0, Action::Record));
    }

    proptest! {
        /// Under loss, duplication, stale replies and payouts closing at a
        /// random moment: money is conserved at every step (checked inside
        /// `run`), every saga ends done or fully compensated, a done saga's
        /// super like stands and a compensated one's does not, and no step
        /// or compensation ran twice (each is recorded once per saga).
        #[test]
        fn sagas_end_done_or_compensated_with_money_conserved(
            coins in proptest::collection::vec(0u64..3, 1..4),
            starts in proptest::collection::vec(0u64..4, 1..6),
            closed_at in proptest::option::of(0usize..60),
            chaos in proptest::collection::vec((any::<u8>(), 0usize..8), 0..60),
        ) {
            let starts: Vec<PersonId> = starts.into_iter().map(|p| p % coins.len() as u64).collect();
            let (sagas, services) = run(&coins, &starts, closed_at, &chaos);
            for s in &sagas {
                match s.state {
                    SagaState::Done => {
                        prop_assert!(services.super_likes.contains(&s.id));
                        prop_assert!(!services.ran(s.id, Action::Refund));
                    }
                    SagaState::Compensated { .. } => {
                        prop_assert!(!services.super_likes.contains(&s.id));
                        for step in STEPS {
                            prop_assert!(!services.succeeded(s.id, step) || services.undone(s.id, step), "{:?} undone", step);
                        }
                    }
                    other => prop_assert!(false, "saga {} still {:?}", s.id, other),
                }
            }
            prop_assert_eq!(in_flight(&sagas, &services), 0);
            // No step or compensation ran twice: each wallet lost exactly
            // one coin per completed saga, and the author got exactly one.
            let done = sagas.iter().filter(|s| s.state == SagaState::Done);
            prop_assert_eq!(services.paid_out, done.clone().count() as u64);
            for (p, &c) in coins.iter().enumerate() {
                let spent = done.clone().filter(|s| s.person == p as PersonId).count() as u64;
                prop_assert_eq!(services.wallets[&(p as PersonId)], c - spent);
            }
        }
    }
}
