//! The verdict: what the running strategy did to the likes, judged only
//! once nothing can change any more.
//!
//! Every figure here is defined in one sentence in the README; the
//! definitions, in short:
//! - **Settled**: every region is up, no message on the wire would still
//!   change a replica, the strategy has no pending work (queued likes,
//!   unacknowledged events, forwards in doubt), and the live replicas agree
//!   — or disagree with no mechanism left that could bring them together.
//!   Until then the verdict lists what it waits for and judges nothing.
//! - **Lost** (once settled): for each origin region, the likes
//!   acknowledged there that the live replica holding the fewest of them
//!   lacks; summed over origins.
//! - **Double counted** (once settled): for each origin region, how many
//!   more of its likes the live replica holding the most of them counts
//!   than were acknowledged or are still in doubt there; summed over
//!   origins. Judged per origin, a loss in one place and a duplicate in
//!   another never cancel out.
//! - **Convergence time** (once settled): from the last like, heal, restart
//!   or switch to the last change of any live replica; shown beside its
//!   [`Reference`] and the reason for the difference.
//! - **Visible everywhere after**: for each like, from its click until every
//!   live region showed it (not defined for last writer wins, which can
//!   overwrite a like instead of delaying it).
//! - **Stale reads**: every live region is read every 100 ms of simulated
//!   time; a read is stale when it shows fewer likes than were acknowledged.
//! - **Cost**: a like's own messages and bytes (the push, its ack and
//!   re-sends, a forward and its answer, a drain) per like taken, and the
//!   background traffic (gossip, sync rounds, heartbeats, publications) per
//!   simulated second, both since the strategy started.
//! - **Money conserved** (super likes): coins in wallets + coins paid out +
//!   coins in flight equal the coins ever issued, after every saga event;
//!   beside it, sagas completed, compensated, running and stranded, and
//!   super likes a region showed that were later taken back.

use super::ledger::{Change, SwitchNote};
use super::likes::{DataType, SetVerdict};
use crate::kernel::Millis;
use crate::region::RegionId;
use crate::strategy::{Pending, Reference};
use serde::{Deserialize, Serialize};

/// Visibility latency of likes, in simulated ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Visibility {
    /// Likes shown everywhere (among the most recent samples kept).
    pub samples: u64,
    pub p50_ms: Option<Millis>,
    pub p99_ms: Option<Millis>,
    pub max_ms: Option<Millis>,
    /// Likes taken and not yet shown in every live region.
    pub unseen: u64,
}

/// One origin region's likes, judged once the room settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginJudgement {
    pub origin: RegionId,
    pub acknowledged: u64,
    /// Of its likes, the fewest any live replica holds, and the most.
    pub fewest_held: u64,
    pub most_held: u64,
    pub lost: u64,
    pub double_counted: u64,
}

/// Why convergence took longer than its reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extra {
    /// Measured minus reference.
    pub total_ms: Millis,
    /// Of that, the random delay the last message took beyond its link's
    /// base delay.
    pub jitter_ms: Millis,
    /// The rest: the last change was carried by a message sent later than
    /// the reference assumed — a repair (gossip, a re-send) after a message
    /// was lost or cut, or a longer path.
    pub late_ms: Millis,
}

/// How long the last episode took to settle, against its reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// When the time started: the last like, heal, restart or switch.
    pub from_ms: Millis,
    /// Which of those it was: "the last like", "a heal", "a restart", "the
    /// switch".
    #[serde(default)]
    pub from_what: String,
    /// From `from_ms` to the last change of any live replica.
    pub measured_ms: Millis,
    /// The earliest that change could have come (see [`Reference`]);
    /// `None` when part of the episode had no reference (a region was cut
    /// off and nothing healed it since).
    pub reference: Option<Reference>,
    /// `reference.at - from_ms` (zero when the reference lies before it).
    pub reference_ms: Option<Millis>,
    /// The last change, and what carried it.
    pub last_change: Option<Change>,
    /// Why `measured_ms` exceeds `reference_ms`, when it does.
    pub extra: Option<Extra>,
}

/// The verdict on the running strategy (see the module docs for the
/// definition of every figure).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verdict {
    pub acknowledged: u64,
    /// Answered "pending" and not (yet) acknowledged or refused.
    pub in_doubt: u64,
    pub refused: u64,
    /// Each region's count, in catalog order.
    pub values: Vec<u64>,
    /// Nothing can change a replica any more (see the module docs).
    pub settled: bool,
    /// What the room waits for before it can be judged.
    pub pending: Vec<Pending>,
    /// Once settled: acknowledged likes missing, judged per origin.
    pub lost: Option<u64>,
    /// Once settled: likes counted beyond what was acknowledged, per origin.
    pub double_counted: Option<u64>,
    /// Once settled: the judgement of each origin that took likes.
    pub per_origin: Vec<OriginJudgement>,
    /// Last writer wins, once settled: of the lost likes, those whose own
    /// write was overwritten by one made earlier in real time (possible only
    /// because that writer's clock ran ahead); the rest were lost to
    /// concurrent writes.
    pub lost_to_skew: Option<u64>,
    /// Acknowledged likes destroyed by volatile crashes, ever (they also
    /// count as lost once the room settles).
    pub destroyed_in_crashes: u64,
    /// The last settled episode's timing (kept while the next one runs).
    pub timing: Option<Timing>,
    /// `None` where it does not apply (last writer wins).
    pub visibility: Option<Visibility>,
    /// Region reads sampled every 100 ms since the strategy started.
    pub reads: u64,
    /// Of those, reads below the acknowledged total.
    pub stale_reads: u64,
    /// A like's own traffic, per like taken since the strategy started.
    pub like_messages_per_like: Option<f64>,
    pub like_bytes_per_like: Option<f64>,
    /// Background traffic per simulated second since the strategy started.
    pub background_messages_per_s: Option<f64>,
    pub background_bytes_per_s: Option<f64>,
    /// Bytes a delta strategy saved against full states.
    pub bytes_saved: u64,
    pub durable: bool,
    /// What the last strategy switch did.
    pub last_switch: Option<SwitchNote>,
    /// The room's data type. For a set, `lost` is judged by membership and
    /// `double_counted` and `per_origin` are not given (see [`SetVerdict`]).
    pub data_type: DataType,
    /// A room of people's likes: the verdict by membership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<SetVerdict>,
    /// Super likes: money conserved, and how the sagas ended (see
    /// [`super::sagas`]); absent until someone super-likes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sagas: Option<super::sagas::SagaVerdict>,
}

impl Verdict {
    /// Settled with nothing lost and nothing double counted (a set cannot
    /// double count).
    pub fn correct(&self) -> bool {
        self.settled && self.lost == Some(0) && (self.double_counted == Some(0) || self.set.is_some())
    }
}

pub(crate) fn percentile(sorted: &[Millis], p: f64) -> Option<Millis> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Explains a measured time against its reference from the last change.
pub(crate) fn explain(measured_ms: Millis, reference_ms: Option<Millis>, last: Option<&Change>) -> Option<Extra> {
    let total_ms = measured_ms.checked_sub(reference_ms?)?;
    if total_ms == 0 {
        return None;
    }
    let jitter_ms = last.and_then(|c| Some(c.travel_ms?.saturating_sub(c.base_ms?))).unwrap_or(0).min(total_ms);
    Some(Extra { total_ms, jitter_ms, late_ms: total_ms - jitter_ms })
}
