//! What a viewer sees of a room at one instant: the body of every frame.
//!
//! These types are wire types — built by [`Simulation::view`](crate::sim::Simulation::view)
//! on the server and read by the browser — so they live with the protocol,
//! and their field names are part of it.

use crate::kernel::network::{LinkConditions, NetStats, RoomLinks};
use crate::kernel::{MessageKind, Millis};
use crate::region::{LatencyMatrix, RegionId};
use crate::sim::{Truth, Verdict};
use crate::strategy::{Stage, StrategyConfig, StrategyKind};
use serde::{Deserialize, Serialize};

/// The room's status, judged against the ground truth: one status, shown
/// the same way everywhere (header, cards, verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Consistency {
    /// Nothing can change any more (see [`Verdict::settled`]).
    Settled {
        since: Millis,
        /// How long the last episode took to settle; `None` before any like.
        took_ms: Option<Millis>,
        /// Nothing lost and nothing double counted.
        correct: bool,
    },
    /// Something may still change a replica.
    Settling { since: Millis },
}

/// One replica as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicaView {
    pub region: RegionId,
    /// The count a reader in this region sees.
    pub value: u64,
    /// Acknowledged total minus `value`: how many likes it lacks (negative
    /// if it over-counts).
    pub behind: i64,
    /// Messages this region has sent that are still on the wire.
    pub in_flight_out: u32,
    /// The region is down (crashed).
    #[serde(default)]
    pub crashed: bool,
    /// A like here would be taken (false when crashed, or when the strategy
    /// refuses, e.g. a follower suspects the leader).
    #[serde(default = "yes")]
    pub available: bool,
    /// A room of sets: who likes the post as this replica sees it (person
    /// ids, see [`crate::people`]), the operations its set holds, and of
    /// those the unlikes (tombstones). Absent for claps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<crate::crdt::PersonId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tombstones: Option<u64>,
}

fn yes() -> bool {
    true
}

/// A message on the wire, for drawing.
///
/// Packets and links are the bulk of every frame, and every viewer receives
/// up to 30 frames a second, so on the wire their keys are one letter:
/// `{"f":"tokyo","t":"sydney","s":5000,"a":6010,"k":"like","l":"like"}`
/// (`"x":true` is added for a packet that will be lost, `"b":true` for
/// background traffic, `"n":true` for one that carries news). The Rust names below are the documentation.
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
    /// finer than `kind`; see [`crate::kernel::Message::label`].
    #[serde(rename = "l", default)]
    pub label: String,
    /// Background work (gossip, sync, heartbeat), not caused by a like.
    #[serde(rename = "b", default, skip_serializing_if = "is_false")]
    pub background: bool,
    /// It would change its receiver if it landed now (the test the verdict
    /// uses for "settled"): a gossip round that only repeats what the peer
    /// holds has no news, so an idle room's background traffic can be drawn
    /// as such instead of looking like likes on their way.
    #[serde(rename = "n", default, skip_serializing_if = "is_false")]
    pub news: bool,
    /// A super like's saga message (a request, a reply, or the Likes
    /// service's push; see [`crate::sim::sagas`]): it travels the same links
    /// but is no replication traffic, so `kind`, `background` and `news` say
    /// nothing about it.
    #[serde(rename = "g", default, skip_serializing_if = "is_false")]
    pub saga: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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
    /// The strategy's knobs, as in force.
    #[serde(default)]
    pub strategy_config: Option<StrategyConfig>,
    /// What a like is in this room (claps when absent).
    #[serde(default)]
    pub data_type: crate::sim::DataType,
    pub truth: Truth,
    pub replicas: Vec<ReplicaView>,
    /// Highest minus lowest live replica count.
    pub divergence: u64,
    pub consistency: Consistency,
    /// When the last like was taken.
    pub last_write_at: Option<Millis>,
    /// Replication messages on the wire (saga messages apart, below).
    pub in_flight: u32,
    /// Super likes' saga messages on the wire.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub saga_in_flight: u32,
    /// Links with at least one message in flight.
    pub links: Vec<LinkView>,
    /// The soonest-arriving messages in flight, at most [`MAX_PACKETS_IN_VIEW`].
    pub packets: Vec<PacketView>,
    pub net: NetStats,
    /// The verdict: see [`Verdict`].
    #[serde(default)]
    pub verdict: Verdict,
    /// The network's fault settings, so every viewer — not only the one who
    /// changed them — sees the partition and the lossy links.
    #[serde(default)]
    pub faults: FaultView,
    /// Counts inside the strategy's pipeline, e.g. "on the queues" against
    /// "in the database" (see `Strategy::stages`); empty for most strategies.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// The "who liked" read model and its lag; only in a room of people's
    /// likes (see [`crate::sim::read_model`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_model: Option<crate::sim::ReadModelView>,
    /// Super likes and their sagas (absent until someone super-likes or
    /// the payouts close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sagas: Option<crate::sim::SagasView>,
    /// The guided scenario the room plays and how far it got (see
    /// [`crate::scenario`]); absent in other rooms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<crate::scenario::ScenarioView>,
}

/// Cap on individual packets in a crowded room's view, so a flood of likes
/// does not turn every frame to thousands of viewers into megabytes; the
/// per-link counts stay exact.
pub const MAX_PACKETS_IN_VIEW: usize = 24;

/// Cap on individual packets in a small room's view (see
/// `backend::room::packets_listed`): enough for the map to draw a burst of
/// hundreds of messages in flight. Deltas carry only the packets sent and
/// landed since the previous frame, so the cost is in keyframes.
pub const MAX_PACKETS_IN_SMALL_VIEW: usize = 600;

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
