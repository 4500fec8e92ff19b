//! The deterministic simulation of one room: regions, links, messages in
//! flight, the ground truth, and whether the replicas agree.
//!
//! The simulation is a pure state machine. It never reads a clock: time is an
//! argument (`advance(now)`, `like(region, now)`), measured in simulated
//! milliseconds since the room started. Randomness (jitter, loss) comes from
//! a seeded ChaCha generator. So the same seed and the same inputs at the same
//! times give the same history on every machine, which is what lets the tests
//! check convergence without sockets or sleeps, and lets the server drive it
//! from a real clock.
//!
//! What it tracks beyond the replicas themselves is what a person watching
//! the demo wants to know:
//! - the **ground truth**: how many likes users were told were accepted, in
//!   total and per region — the number every replica should end on;
//! - the **divergence**: how far apart the regions' counts are right now;
//! - the **consistency status**: diverged since when, or converged and how
//!   long convergence took after the last write;
//! - the **faults** injected (link conditions, cuts, crashed regions), and
//! - the **verdict** ([`Verdict`]): did the replicas end on the truth, how
//!   fast compared with the physical lower bound, and at what cost.

pub mod agenda;
mod faults;
pub mod network;
mod verdict;

pub use verdict::{Verdict, Visibility};

use crate::region::{LatencyMatrix, RegionId};
use crate::strategy::{Accepted, BoundCtx, Ctx, MessageKind, Reach, Refusal, Strategy, StrategyConfig, StrategyKind};
use agenda::{Agenda, Event};
use network::{LinkConditions, NetStats, Network, RoomLinks};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};

/// Simulated time in milliseconds since the room started.
pub type Millis = u64;

/// Everything needed to start a room's simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seed of the random generator (jitter, loss, gossip peers).
    pub seed: u64,
    /// Multiplies every link delay and every strategy interval.
    pub time_scale: f64,
    pub strategy: StrategyConfig,
    /// Whether a region's acknowledged state survives a crash (it keeps a
    /// log on disk). Without it, a crash loses what it had not shipped.
    #[serde(default = "default_durable")]
    pub durable: bool,
}

fn default_durable() -> bool {
    true
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { seed: 0x11CE_5EED, time_scale: 1.0, strategy: StrategyConfig::default(), durable: true }
    }
}

/// Whether the replicas agree, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Consistency {
    /// Every replica shows the same count.
    Converged {
        since: Millis,
        /// Time from the last like to the moment the replicas agreed again;
        /// `None` before any like, or when a like never made them disagree.
        took_ms: Option<Millis>,
    },
    /// At least two replicas show different counts.
    Diverged { since: Millis },
}

/// The ground truth: what users were told.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Truth {
    /// Likes acknowledged to users, all regions.
    pub total: u64,
    /// Likes acknowledged per region, in catalog order.
    pub per_region: Vec<u64>,
    /// Likes refused (the strategy could not accept them).
    pub refused: u64,
}

/// One replica as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicaView {
    pub region: RegionId,
    /// The count a reader in this region sees.
    pub value: u64,
    /// Ground truth minus `value`: how many likes it has not heard of yet
    /// (negative if it over-counts).
    pub behind: i64,
    /// Messages this region has sent that are still on the wire.
    pub in_flight_out: u32,
    /// The region is down (crashed).
    #[serde(default)]
    pub crashed: bool,
    /// A like here would be accepted (false when crashed, or when the
    /// strategy cannot accept it, e.g. the leader is unreachable).
    #[serde(default = "default_durable")]
    pub available: bool,
}

/// A message on the wire, for drawing.
///
/// Packets and links are the bulk of every frame, and every viewer receives
/// up to 30 frames a second, so on the wire their keys are one letter:
/// `{"f":"tokyo","t":"sydney","s":5000,"a":6010,"k":"like","l":"like"}`
/// (`"x":true` is added for a packet that will be lost). This halves a busy
/// frame; the Rust names below are the documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PacketView {
    #[serde(rename = "f")]
    pub from: RegionId,
    #[serde(rename = "t")]
    pub to: RegionId,
    #[serde(rename = "s")]
    pub sent_at: Millis,
    #[serde(rename = "a")]
    pub arrive_at: Millis,
    #[serde(rename = "k")]
    pub kind: MessageKind,
    /// It will vanish instead of arriving.
    #[serde(rename = "x", default, skip_serializing_if = "is_false")]
    pub lost: bool,
    /// The precise message type ("like", "ack", "delta", "forward", ...),
    /// finer than `kind`; see [`crate::strategy::Message::label`].
    #[serde(rename = "l", default)]
    pub label: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A directed link with messages on it; on the wire
/// `{"f":"tokyo","t":"sydney","n":3}` (see [`PacketView`] for why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkView {
    #[serde(rename = "f")]
    pub from: RegionId,
    #[serde(rename = "t")]
    pub to: RegionId,
    #[serde(rename = "n")]
    pub in_flight: u32,
}

/// Everything a viewer needs to draw the room at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimView {
    pub now_ms: Millis,
    pub strategy: StrategyKind,
    /// The strategy's knobs (absent in views from older servers).
    #[serde(default)]
    pub strategy_config: Option<StrategyConfig>,
    pub truth: Truth,
    pub replicas: Vec<ReplicaView>,
    /// Highest minus lowest replica count.
    pub divergence: u64,
    pub consistency: Consistency,
    /// When the last like was accepted.
    pub last_write_at: Option<Millis>,
    pub in_flight: u32,
    /// Links with at least one message in flight.
    pub links: Vec<LinkView>,
    /// The soonest-arriving messages in flight, at most [`MAX_PACKETS_IN_VIEW`].
    pub packets: Vec<PacketView>,
    pub net: NetStats,
    /// How the strategy is doing: see [`Verdict`].
    #[serde(default)]
    pub verdict: Verdict,
    /// The network's fault settings, so every viewer — not only the one who
    /// changed them — sees the partition and the lossy links.
    #[serde(default)]
    pub faults: FaultView,
    /// Counts inside the strategy's pipeline, e.g. "on the queues" against
    /// "in the database" (see `Strategy::stages`); empty for most strategies.
    #[serde(default)]
    pub stages: Vec<crate::strategy::Stage>,
}

/// Fault settings as a viewer sees them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultView {
    /// Every cut directed link, as `{"f":"tokyo","t":"virginia"}`.
    pub cut: Vec<LinkRef>,
    /// The room-wide loss probability (links in `custom` may differ).
    pub loss: f64,
    /// The room-wide duplication probability.
    pub duplicate: f64,
    /// The room-wide jitter in simulated ms; with `natural_jitter`, the
    /// largest of the links' natural jitters.
    pub jitter_ms: u32,
    /// Links keep their natural jitter (a tenth of their delay): nobody set
    /// a room-wide one.
    #[serde(default)]
    pub natural_jitter: bool,
    /// Whether replicas keep a durable log (see `Simulation::set_durable`).
    pub durable: bool,
    /// Links given conditions of their own (`set_link`), which ignore the
    /// room-wide settings above. Usually empty, and then left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<LinkSetting>,
}

impl FaultView {
    /// The conditions of `from -> to` as this view describes them: its own
    /// if it has some, else the room-wide settings over its base delay from
    /// `latency` (the snapshot's matrix). This is how a viewer learns every
    /// link's state from a frame that lists only the exceptions.
    pub fn link(&self, latency: &LatencyMatrix, from: RegionId, to: RegionId) -> LinkConditions {
        let cut = self.cut.iter().any(|l| l.from == from && l.to == to);
        let conditions = match self.custom.iter().find(|s| s.link.from == from && s.link.to == to) {
            Some(setting) => setting.conditions.clone(),
            None => self.room_links().link(latency.get(from, to)),
        };
        LinkConditions { cut, ..conditions }
    }

    /// The room-wide settings this view was made from.
    pub fn room_links(&self) -> RoomLinks {
        RoomLinks {
            loss: self.loss,
            duplicate: self.duplicate,
            jitter_ms: (!self.natural_jitter).then_some(self.jitter_ms),
        }
    }
}

/// One link with conditions of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSetting {
    #[serde(flatten)]
    pub link: LinkRef,
    #[serde(flatten)]
    pub conditions: LinkConditions,
}

/// A directed link, by its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRef {
    #[serde(rename = "f")]
    pub from: RegionId,
    #[serde(rename = "t")]
    pub to: RegionId,
}

/// Cap on individual packets in a view, so a flood of likes does not turn
/// every frame into megabytes; the per-link counts stay exact.
pub const MAX_PACKETS_IN_VIEW: usize = 24;

/// One room's replicas, network and clock.
#[derive(Debug)]
pub struct Simulation {
    config: SimConfig,
    latency: LatencyMatrix,
    now: Millis,
    rng: ChaCha8Rng,
    agenda: Agenda,
    net: Network,
    strategy: Box<dyn Strategy>,
    truth: Truth,
    consistency: Consistency,
    last_write_at: Option<Millis>,
    /// Bumped on every change a viewer could see; lets the server skip
    /// frames when nothing happened.
    version: u64,
    /// Regions that are down.
    crashed: Vec<bool>,
    /// Crash count per region; timers set before a crash are stale.
    epochs: Vec<u32>,
    /// Likes answered [`Accepted::Later`], and how many of those were acknowledged.
    accepted_later: u64,
    acked_later: u64,
    /// Acknowledged likes destroyed by volatile crashes.
    lost_in_crashes: u64,
    last_write_origin: Option<RegionId>,
    /// Last write, heal, restart or strategy switch: what convergence is timed from.
    last_disturbance_at: Option<Millis>,
    /// Likes not yet shown everywhere: (ground truth right after it, accepted at).
    unseen: VecDeque<(u64, Millis)>,
    /// Visibility latencies of the most recent likes (ms).
    visibility: verdict::SampleWindow,
    reads: u64,
    stale_reads: u64,
    /// Each region's count at the last observation, and when any last changed.
    last_values: Vec<u64>,
    last_change_at: Millis,
    /// What `set_all_links` set, which every link follows unless it is in
    /// `custom_links`.
    room_links: RoomLinks,
    /// Directed links given conditions of their own with `set_link`.
    custom_links: BTreeSet<(RegionId, RegionId)>,
}

/// How many visibility samples (and unseen likes) are kept.
pub const MAX_VISIBILITY_SAMPLES: usize = 4_096;

impl Simulation {
    pub fn new(config: SimConfig) -> Self {
        let latency = LatencyMatrix::from_geography(config.time_scale);
        let mut sim = Simulation {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            net: Network::new(&latency),
            latency,
            now: 0,
            agenda: Agenda::default(),
            strategy: config.strategy.build(),
            truth: Truth { per_region: vec![0; RegionId::COUNT], ..Truth::default() },
            consistency: Consistency::Converged { since: 0, took_ms: None },
            last_write_at: None,
            version: 0,
            crashed: vec![false; RegionId::COUNT],
            epochs: vec![0; RegionId::COUNT],
            accepted_later: 0,
            acked_later: 0,
            lost_in_crashes: 0,
            last_write_origin: None,
            last_disturbance_at: None,
            unseen: VecDeque::new(),
            visibility: verdict::SampleWindow::new(MAX_VISIBILITY_SAMPLES),
            reads: 0,
            stale_reads: 0,
            last_values: vec![0; RegionId::COUNT],
            last_change_at: 0,
            room_links: RoomLinks::default(),
            custom_links: BTreeSet::new(),
            config,
        };
        sim.with_strategy(|s, ctx| s.start(ctx));
        sim
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The base one-way delays of this room's links.
    pub fn latency(&self) -> &LatencyMatrix {
        &self.latency
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The links, to change their conditions (faults).
    pub fn network_mut(&mut self) -> &mut Network {
        self.version += 1;
        &mut self.net
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    pub fn consistency(&self) -> Consistency {
        self.consistency
    }

    /// When the next scheduled event (arrival or timer) is due.
    pub fn next_event_at(&self) -> Option<Millis> {
        self.agenda.next_at()
    }

    /// The count a reader at `region` sees.
    pub fn read(&self, region: RegionId) -> u64 {
        self.strategy.read(region)
    }

    /// Processes everything due up to `now`, in time order, and moves the
    /// clock to `now`. Time never runs backwards: an earlier `now` is ignored.
    pub fn advance(&mut self, now: Millis) {
        while let Some((at, event)) = self.agenda.pop_due(now) {
            self.now = self.now.max(at);
            match event {
                Event::Deliver(envelope) => {
                    let mut deliver = self.net.arrive(&envelope);
                    if deliver && self.crashed[envelope.to.index()] {
                        // A crashed region drops whatever reaches it.
                        self.net.count_dropped();
                        deliver = false;
                    }
                    if deliver {
                        let (from, to) = (envelope.from, envelope.to);
                        self.with_strategy(|s, ctx| s.deliver(ctx, from, to, envelope.msg));
                    }
                }
                Event::Timer { region, timer, epoch } => {
                    if !self.crashed[region.index()] && self.epochs[region.index()] == epoch {
                        self.with_strategy(|s, ctx| s.timer(ctx, region, timer));
                    }
                }
            }
            // Messages moving is visible (in-flight counts) even when no
            // count changes.
            self.version += 1;
            self.observe();
        }
        self.now = self.now.max(now);
    }

    /// A user at `region` clicks like at time `now`.
    pub fn like(&mut self, region: RegionId, now: Millis) -> Result<Accepted, Refusal> {
        self.advance(now);
        let outcome = if self.crashed[region.index()] {
            Err(Refusal::Unavailable(region))
        } else {
            self.with_strategy(|s, ctx| s.like(ctx, region))
        };
        match outcome {
            Ok(accepted) => {
                // The write happens now, acknowledged or not: convergence is
                // timed from here (a later acknowledgement only confirms it).
                self.last_write_origin = Some(region);
                self.last_disturbance_at = Some(self.now);
                match accepted {
                    Accepted::Now => self.record_ack(region),
                    Accepted::Later => self.accepted_later += 1,
                }
            }
            Err(_) => self.truth.refused += 1,
        }
        self.version += 1;
        self.observe();
        outcome
    }

    /// Advances far enough that every message in flight has landed, handling
    /// at most `max_events` events (timers keep re-arming forever, so "until
    /// the agenda is empty" would never end). Returns the time reached.
    pub fn quiesce(&mut self, max_events: usize) -> Millis {
        for _ in 0..max_events {
            if self.net.total_in_flight() == 0 {
                break;
            }
            match self.agenda.next_at() {
                Some(at) => self.advance(at),
                None => break,
            }
        }
        self.now
    }

    /// Runs a strategy hook with a context over this simulation's world, then
    /// records any acknowledgements it made.
    fn with_strategy<T>(&mut self, f: impl FnOnce(&mut dyn Strategy, &mut Ctx) -> T) -> T {
        let mut acknowledged = Vec::new();
        let mut ctx = Ctx {
            now: self.now,
            time_scale: self.config.time_scale,
            rng: &mut self.rng,
            net: &mut self.net,
            agenda: &mut self.agenda,
            acknowledged: &mut acknowledged,
            crashed: &self.crashed,
            epochs: &self.epochs,
        };
        let out = f(self.strategy.as_mut(), &mut ctx);
        for region in acknowledged {
            self.acked_later += 1;
            self.record_ack(region);
        }
        out
    }

    /// A like at `region` is acknowledged to its user: it joins the truth.
    fn record_ack(&mut self, region: RegionId) {
        self.truth.total += 1;
        self.truth.per_region[region.index()] += 1;
        self.last_write_at = Some(self.now);
        if self.unseen.len() >= MAX_VISIBILITY_SAMPLES {
            self.unseen.pop_front();
        }
        self.unseen.push_back((self.truth.total, self.now));
    }

    /// Updates the consistency status after anything happened.
    fn observe(&mut self) {
        // Visibility: a like is shown everywhere once every region shows at
        // least the ground truth as it was right after that like.
        let values: Vec<u64> = RegionId::all().map(|r| self.read(r)).collect();
        if values != self.last_values {
            self.last_values = values;
            self.last_change_at = self.now;
        }
        let min = self.last_values.iter().copied().min().unwrap_or(0);
        while let Some(&(n, at)) = self.unseen.front() {
            // Likes destroyed by crashes can never show; do not let them
            // block the ones behind them.
            if n.saturating_sub(self.lost_in_crashes) > min {
                break;
            }
            self.unseen.pop_front();
            self.visibility.push(self.now.saturating_sub(at));
        }
        let agreed = self.last_values.iter().all(|&v| v == min);
        self.consistency = match (self.consistency, agreed) {
            (Consistency::Diverged { .. }, true) => Consistency::Converged {
                since: self.now,
                took_ms: self.last_write_at.map(|w| self.now.saturating_sub(w)),
            },
            (Consistency::Converged { .. }, false) => Consistency::Diverged { since: self.now },
            (unchanged, _) => unchanged,
        };
    }

    fn divergence(&self) -> u64 {
        let values = RegionId::all().map(|r| self.read(r));
        let (min, max) = values.fold((u64::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)));
        max.saturating_sub(min)
    }

    /// A picture of the room right now.
    pub fn view(&self) -> SimView {
        let replicas = RegionId::all()
            .map(|r| {
                let value = self.read(r);
                ReplicaView {
                    region: r,
                    value,
                    behind: self.truth.total as i64 - value as i64,
                    in_flight_out: RegionId::all().map(|to| self.net.in_flight(r, to)).sum(),
                    crashed: self.crashed[r.index()],
                    available: self.available(r),
                }
            })
            .collect();
        let links = RegionId::all()
            .flat_map(|from| RegionId::all().map(move |to| (from, to)))
            .filter_map(|(from, to)| {
                let in_flight = self.net.in_flight(from, to);
                (in_flight > 0).then_some(LinkView { from, to, in_flight })
            })
            .collect();
        // Pick the soonest-arriving envelopes first and only then build their
        // views: a busy room has thousands on the wire, and a view allocates.
        let mut soonest: Vec<_> = self.agenda.envelopes().collect();
        if soonest.len() > MAX_PACKETS_IN_VIEW {
            soonest.select_nth_unstable_by_key(MAX_PACKETS_IN_VIEW, |e| (e.arrive_at, e.sent_at));
            soonest.truncate(MAX_PACKETS_IN_VIEW);
        }
        soonest.sort_by_key(|e| (e.arrive_at, e.sent_at, e.from, e.to));
        let packets = soonest
            .into_iter()
            .map(|e| PacketView {
                from: e.from,
                to: e.to,
                sent_at: e.sent_at,
                arrive_at: e.arrive_at,
                kind: e.msg.kind(),
                lost: e.lost,
                label: e.msg.label().to_owned(),
            })
            .collect();
        SimView {
            now_ms: self.now,
            strategy: self.strategy.kind(),
            strategy_config: Some(self.config.strategy.clone()),
            truth: self.truth.clone(),
            replicas,
            divergence: self.divergence(),
            consistency: self.consistency,
            last_write_at: self.last_write_at,
            in_flight: self.net.total_in_flight(),
            links,
            packets,
            net: self.net.stats().clone(),
            verdict: self.verdict(),
            faults: self.fault_view(),
            stages: self.strategy.stages(),
        }
    }

    fn fault_view(&self) -> FaultView {
        let room = self.room_links;
        let mut view = FaultView {
            loss: room.loss,
            duplicate: room.duplicate,
            // The room-wide jitter, or the natural jitter of the longest link
            // (natural jitter grows with the delay).
            jitter_ms: room.link(self.latency.max()).jitter_ms,
            natural_jitter: room.jitter_ms.is_none(),
            durable: self.config.durable,
            ..FaultView::default()
        };
        for from in RegionId::all() {
            for to in RegionId::all().filter(|&to| to != from) {
                if self.net.link(from, to).cut {
                    view.cut.push(LinkRef { from, to });
                }
            }
        }
        view.custom = self
            .custom_links
            .iter()
            .map(|&(from, to)| LinkSetting {
                link: LinkRef { from, to },
                conditions: LinkConditions { cut: false, ..self.net.link(from, to).clone() },
            })
            .collect();
        view
    }
}

#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod tests;
