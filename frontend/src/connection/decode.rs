//! Reads the server's messages out of parsed JSON into the shared wire types,
//! by hand instead of through serde's derived `Deserialize`.
//!
//! Why: the derived decoders (a visitor per struct, a field-name matcher per
//! struct, `Content` buffering for every internally tagged enum) were about
//! a tenth of the page's wasm, for types whose JSON shape is simple and
//! fixed (docs/page-weight.md). The page parses every message into a
//! [`serde_json::Value`] anyway (deltas are applied at that level, see
//! [`shared::protocol::delta`]), so reading the types out of the value is a
//! map lookup per field and a small generic helper per field type.
//!
//! The rules are serde's, as the server encodes with it: unknown keys are
//! ignored; a missing `Option` is `None`; a field with `#[serde(default…)]`
//! takes that default when missing (and only then: a `null` is an error,
//! as it is for serde); numbers must fit the field's type. The test
//! `hand_decoding_agrees_with_serde` checks that, value by value, against
//! the derived decoders of the same types (which still exist natively:
//! `shared` keeps its derives, since the server needs them). A field added
//! to a shared struct fails to compile here (see `object!`), and so does a
//! variant added to an enum (see `unit_enum!` and the tagged enums' tests).
//!
//! Speed: a lookup per field is slower than serde's single pass over each
//! object, but small beside parsing the text. Natively, for a frame with
//! 600 packets in flight (66 KB of JSON): parsing 640 µs, reading it here
//! 140 µs, serde's derived decoder 75 µs.

use serde_json::{Map, Value};
use shared::kernel::network::{LinkConditions, NetStats};
use shared::kernel::MessageKind;
use shared::protocol::changes::Change;
use shared::protocol::history::{Fate, HistoryChunk, HistoryEvent, MarkKind, MsgEvent};
use shared::protocol::view::{
    Consistency, FaultView, LinkRef, LinkSetting, LinkView, PacketView, ReplicaView, SimView,
};
use shared::protocol::{
    ErrorCode, Frame, PresenterView, ProtocolError, RegionInfo, Snapshot, StrategyDescription, TimeView,
};
use shared::region::{LatencyMatrix, RegionId};
use shared::saga::{Action, StepState};
use shared::scenario::ScenarioView;
use shared::sim::{
    Change as LastChange, DataType, Extra, OriginJudgement, ReadModelView, SagaRow, SagaVerdict, SagasView, SetVerdict,
    SwitchNote, Timing, Truth, Verdict, Visibility,
};
use shared::strategy::{LastWriterWins, Pending, Reference, SingleWriter, Stage, StrategyConfig, StrategyKind};
use std::fmt;

/// Why a message did not decode: where (the path of keys and indexes) and
/// what was expected there. Only built on failure.
///
/// Names read from the message are quoted as `"{name}"`, not written with
/// `{name:?}`: `str`'s `Debug` (escaping, Unicode tables) was wasm the page
/// needed for nothing else (docs/page-weight.md).
#[derive(Debug)]
pub struct Error(String);

impl Error {
    fn expected(what: &str) -> Error {
        Error(format!("expected {what}"))
    }

    /// The same error, one level further out (`key.inner`).
    fn at(self, key: &str) -> Error {
        Error(format!("{key}.{}", self.0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the text stopped being JSON, without serde_json's own sentence:
/// displaying its error links the words of every error code it has and
/// `std::io::Error`'s (~3 KB of wasm; docs/page-weight.md), and the page
/// only logs this beside the start of the message, which shows the rest.
impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error(format!("unreadable JSON at line {}, column {}", e.line(), e.column()))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A type the page reads from JSON.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Result<Self>;

    /// The value of a missing key: an error, except for `Option` (`None`),
    /// as with serde.
    fn missing() -> Result<Self> {
        Err(Error::expected("a value, found none"))
    }

    /// Reads `v` into `slot`, in place of its value. A struct `object!`
    /// reads fills the one in `slot` field by field instead: no second
    /// value is built, moved in and the old one dropped (the slot is the
    /// placeholder of the struct around it, which holds this type's own
    /// defaults; the tests check that against serde).
    fn read_into(slot: &mut Self, v: &Value) -> Result<()> {
        *slot = Self::from_json(v)?;
        Ok(())
    }

    /// The placeholder a struct is read into (`object!`'s `init`), for an
    /// `Option` of it to read it in place too; `None` for other types.
    fn blank() -> Option<Self> {
        None
    }
}

/// A field of a struct being read, whatever its type: what [`Obj::need`]
/// and [`Obj::may`] fill.
pub trait Slot {
    /// Replaces the value with the one read from `v`.
    fn read(&mut self, v: &Value) -> Result<()>;

    /// Replaces the value with that of a missing key, or fails (see
    /// [`FromJson::missing`]).
    fn absent(&mut self) -> Result<()>;
}

impl<T: FromJson> Slot for T {
    fn read(&mut self, v: &Value) -> Result<()> {
        T::read_into(self, v)
    }

    fn absent(&mut self) -> Result<()> {
        *self = T::missing()?;
        Ok(())
    }
}

/// One JSON object, read field by field.
pub struct Obj<'a>(&'a Map<String, Value>);

impl<'a> Obj<'a> {
    pub fn new(v: &'a Value) -> Result<Obj<'a>> {
        v.as_object().map(Obj).ok_or_else(|| Error::expected("an object"))
    }

    /// A field, under serde's rule for a field without a default.
    pub fn get<T: FromJson>(&self, key: &str) -> Result<T> {
        match self.0.get(key) {
            Some(v) => T::from_json(v),
            None => T::missing(),
        }
        .map_err(|e| e.at(key))
    }

    /// A field without a default, read into `slot` (see `object!`).
    // `need` and `may` take the slot as a trait object: one copy of each
    // (the lookup, the missing case, the key added to an error) serves
    // every field, where a generic one was compiled, and mostly inlined,
    // per field type (docs/page-weight.md).
    #[inline(never)]
    pub fn need(&self, slot: &mut dyn Slot, key: &str) -> Result<()> {
        match self.0.get(key) {
            Some(v) => slot.read(v),
            None => slot.absent(),
        }
        .map_err(|e| e.at(key))
    }

    /// A field with `#[serde(default…)]`: `slot` holds that default, and
    /// keeps it when the key is missing.
    #[inline(never)]
    pub fn may(&self, slot: &mut dyn Slot, key: &str) -> Result<()> {
        match self.0.get(key) {
            Some(v) => slot.read(v).map_err(|e| e.at(key)),
            None => Ok(()),
        }
    }

    /// A variant's field with `#[serde(default…)]`: `default` when missing.
    pub fn or<T: FromJson>(&self, key: &str, default: T) -> Result<T> {
        let mut value = default;
        self.may(&mut value, key)?;
        Ok(value)
    }

    /// The string under `key` (an internally tagged enum's tag).
    fn tag(&self, key: &str) -> Result<&'a str> {
        self.0.get(key).and_then(Value::as_str).ok_or_else(|| Error::expected("a string").at(key))
    }
}

impl FromJson for u64 {
    fn from_json(v: &Value) -> Result<Self> {
        v.as_u64().ok_or_else(|| Error::expected("an unsigned integer"))
    }
}

impl FromJson for u32 {
    fn from_json(v: &Value) -> Result<Self> {
        u64::from_json(v)?.try_into().map_err(|_| Error::expected("a 32-bit integer"))
    }
}

impl FromJson for usize {
    fn from_json(v: &Value) -> Result<Self> {
        u64::from_json(v)?.try_into().map_err(|_| Error::expected("a smaller integer"))
    }
}

impl FromJson for i64 {
    fn from_json(v: &Value) -> Result<Self> {
        v.as_i64().ok_or_else(|| Error::expected("an integer"))
    }
}

impl FromJson for f64 {
    fn from_json(v: &Value) -> Result<Self> {
        v.as_f64().ok_or_else(|| Error::expected("a number"))
    }
}

impl FromJson for bool {
    fn from_json(v: &Value) -> Result<Self> {
        v.as_bool().ok_or_else(|| Error::expected("true or false"))
    }
}

impl FromJson for String {
    fn from_json(v: &Value) -> Result<Self> {
        v.as_str().map(str::to_owned).ok_or_else(|| Error::expected("a string"))
    }
}

impl FromJson for RegionId {
    fn from_json(v: &Value) -> Result<Self> {
        let id = v.as_str().ok_or_else(|| Error::expected("a region id"))?;
        RegionId::parse(id).map_err(|_| Error(format!("unknown region \"{id}\"")))
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }

    fn missing() -> Result<Self> {
        Ok(None)
    }

    /// A struct is read in place here too, into its placeholder.
    fn read_into(slot: &mut Self, v: &Value) -> Result<()> {
        match (v, T::blank()) {
            (Value::Null, _) => *slot = None,
            (v, Some(blank)) => T::read_into(slot.insert(blank), v)?,
            (v, None) => *slot = Some(T::from_json(v)?),
        }
        Ok(())
    }
}

/// The elements of a JSON array, each read as a `T`.
fn elements<T: FromJson>(v: &Value) -> Result<Vec<T>> {
    // A plain loop: `collect` into a `Result` compiled to more code per type.
    let mut out = Vec::with_capacity(v.as_array().map_or(0, Vec::len));
    each(v, &mut |x| match T::blank() {
        // A struct is read in place, into its placeholder pushed first.
        Some(blank) => {
            out.push(blank);
            match out.last_mut() {
                Some(last) => T::read_into(last, x),
                None => Ok(()),
            }
        }
        None => {
            out.push(T::from_json(x)?);
            Ok(())
        }
    })?;
    Ok(out)
}

/// Calls `read` on each element of the array `v`; an error says which.
// Not generic: the loop, the check for an array and the index written into
// the error are compiled once, not once per element type (some twenty).
#[inline(never)]
fn each(v: &Value, read: &mut dyn FnMut(&Value) -> Result<()>) -> Result<()> {
    let items = v.as_array().ok_or_else(|| Error::expected("an array"))?;
    for (i, x) in items.iter().enumerate() {
        read(x).map_err(|e| e.at(&i.to_string()))?;
    }
    Ok(())
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Result<Self> {
        elements(v)
    }
}

/// A fixed-size array: exactly `N` elements, as serde requires.
impl<T: FromJson, const N: usize> FromJson for [T; N] {
    fn from_json(v: &Value) -> Result<Self> {
        elements(v)?.try_into().map_err(|_| Error(format!("expected {N} elements")))
    }
}

/// A pair, as serde writes tuples: a two-element array.
impl<A: FromJson, B: FromJson> FromJson for (A, B) {
    fn from_json(v: &Value) -> Result<Self> {
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => Ok((A::from_json(a)?, B::from_json(b)?)),
            _ => Err(Error::expected("a pair")),
        }
    }
}

impl FromJson for LatencyMatrix {
    fn from_json(v: &Value) -> Result<Self> {
        Ok(LatencyMatrix(elements(v)?))
    }
}

/// Which of `names` the string `v` is (a unit variant's serde name).
fn name_index(v: &Value, names: &[&str]) -> Result<usize> {
    let name = v.as_str().ok_or_else(|| Error::expected("a name"))?;
    names.iter().position(|n| *n == name).ok_or_else(|| Error(format!("unknown name \"{name}\"")))
}

/// A unit-only enum's serde name (what the page writes, see `encode`).
pub trait Named {
    fn wire_name(self) -> &'static str;
}

/// A unit-only enum, which serde writes as its variant's name. The names
/// are listed beside the variants (all of them: `name`'s `match` is
/// exhaustive); the tests check each against serde's.
macro_rules! unit_enum {
    ($t:ident { $($v:ident = $name:literal),* $(,)? }) => {
        impl FromJson for $t {
            fn from_json(v: &Value) -> Result<Self> {
                const ALL: &[$t] = &[$($t::$v),*];
                Ok(ALL[name_index(v, &[$($name),*])?])
            }
        }

        impl Named for $t {
            fn wire_name(self) -> &'static str {
                match self {
                    $($t::$v => $name),*
                }
            }
        }

        #[cfg(test)]
        impl tests::Listed for $t {
            fn listed() -> Vec<Self> {
                vec![$($t::$v),*]
            }
        }
    };
}

unit_enum!(ErrorCode {
    BadMessage = "bad_message",
    TooLarge = "too_large",
    BinaryFrame = "binary_frame",
    UnknownRegion = "unknown_region",
    RateLimited = "rate_limited",
    Refused = "refused",
    RoomUnavailable = "room_unavailable",
    Locked = "locked",
    InvalidValue = "invalid_value",
    Storage = "storage",
    BadPerson = "bad_person",
    NotPresenter = "not_presenter",
});
unit_enum!(StrategyKind {
    EventPush = "event_push",
    BackgroundSync = "background_sync",
    QueueBatch = "queue_batch",
    LastWriterWins = "last_writer_wins",
    SingleWriter = "single_writer",
});
unit_enum!(DataType { Claps = "claps", LikesAddWins = "likes_add_wins", LikesRemoveWins = "likes_remove_wins" });
unit_enum!(MessageKind { Like = "like", State = "state" });
unit_enum!(Fate { Delivered = "delivered", Lost = "lost", Refused = "refused" });
unit_enum!(MarkKind {
    Cut = "cut",
    Heal = "heal",
    Isolate = "isolate",
    HealAll = "heal_all",
    Crash = "crash",
    Restart = "restart",
    Switch = "switch",
    Links = "links",
    Durable = "durable",
    DataType = "data_type",
    ReadModel = "read_model",
    Payouts = "payouts",
});
unit_enum!(Action {
    Debit = "debit",
    Record = "record",
    Credit = "credit",
    Unrecord = "unrecord",
    Refund = "refund",
    Uncredit = "uncredit",
});
unit_enum!(StepState {
    Pending = "pending",
    Done = "done",
    Failed = "failed",
    Compensated = "compensated",
    Skipped = "skipped",
});

/// A struct read from an object, in place: `$t = init; { field: how("key"), … }`.
///
/// `init` is a placeholder holding serde's default of every field that has
/// one (`Default` where serde's is the type's own); each `how` is
/// [`Obj::need`] (no default: missing is an error, `None` for an `Option`)
/// or [`Obj::may`] (keeps the placeholder when missing). Filling one value
/// in place costs a call per field, where building the struct from decoded
/// locals cost, at every field, the code to drop all the fields before it
/// on an error: that was most of this module's size (docs/page-weight.md). Fields named in `[…]` are decoded first, into locals that
/// `init` moves in (types with no cheap placeholder, such as a frame).
/// A type without them is read in place when it is another struct's field
/// ([`FromJson::read_into`]): into the placeholder of the struct around it.
/// The closing pattern names every field without `..`, so a field added to
/// the type and not read here fails to compile.
macro_rules! object {
    ($t:ident [$($first:ident: $fkey:literal),*] = $init:expr; { $($field:ident: $how:ident($key:literal)),* $(,)? }) => {
        impl FromJson for $t {
            fn from_json(v: &Value) -> Result<Self> {
                let o = Obj::new(v)?;
                $(let $first = o.get($fkey)?;)*
                let mut x: $t = $init;
                $(o.$how(&mut x.$field, $key)?;)*
                let $t { $($field: _,)* $($first: _,)* } = &x;
                Ok(x)
            }
        }
    };
    ($t:ident = $init:expr; { $($field:ident: $how:ident($key:literal)),* $(,)? }) => {
        impl FromJson for $t {
            fn from_json(v: &Value) -> Result<Self> {
                let mut x: $t = $init;
                Self::read_into(&mut x, v)?;
                Ok(x)
            }

            fn blank() -> Option<Self> {
                Some($init)
            }

            fn read_into(x: &mut Self, v: &Value) -> Result<()> {
                let o = Obj::new(v)?;
                $(o.$how(&mut x.$field, $key)?;)*
                let $t { $($field: _,)* } = x;
                Ok(())
            }
        }
    };
}

object!(Snapshot [frame: "frame"] = Snapshot {
    protocol: 0,
    room: String::new(),
    public: false,
    regions: Vec::new(),
    latency_ms: LatencyMatrix(Vec::new()),
    strategies: Vec::new(),
    frame,
}; {
    protocol: need("protocol"),
    room: need("room"),
    public: need("public"),
    regions: need("regions"),
    latency_ms: need("latency_ms"),
    strategies: need("strategies"),
});
object!(RegionInfo = RegionInfo {
    id: RegionId::TOKYO,
    city: String::new(),
    area: String::new(),
    country: String::new(),
    lat: 0.0,
    lon: 0.0,
}; {
    id: need("id"),
    city: need("city"),
    area: need("area"),
    country: need("country"),
    lat: need("lat"),
    lon: need("lon"),
});
object!(StrategyDescription = StrategyDescription {
    kind: StrategyKind::EventPush,
    name: String::new(),
    how: String::new(),
    guarantee: String::new(),
    failure: String::new(),
    default_config: StrategyConfig::BackgroundSync { interval_ms: 0, delta: false },
}; {
    kind: need("kind"),
    name: need("name"),
    how: need("how"),
    guarantee: need("guarantee"),
    failure: need("failure"),
    default_config: need("default_config"),
});
object!(ProtocolError = ProtocolError { code: ErrorCode::BadMessage, message: String::new(), count: 1 }; {
    code: need("code"),
    message: need("message"),
    count: may("count"),
});
object!(Frame [sim: "sim"] = Frame {
    seq: 0,
    viewers: 0,
    sim,
    time: TimeView::default(),
    history: None,
    people: Vec::new(),
    presenter: None,
    changes: Vec::new(),
}; {
    seq: need("seq"),
    viewers: need("viewers"),
    time: may("time"),
    history: need("history"),
    people: may("people"),
    presenter: need("presenter"),
    changes: may("changes"),
});
object!(TimeView = TimeView::default(); {
    paused: need("paused"),
    speed: need("speed"),
    history_from_ms: may("history_from_ms"),
});
object!(PresenterView = PresenterView::default(); { here: need("here"), name: need("name") });
object!(Change = Change { n: 0, at: 0, text: String::new(), times: 1 }; {
    n: need("n"),
    at: need("at"),
    text: need("text"),
    times: may("times"),
});
object!(HistoryChunk = HistoryChunk::default(); {
    first: need("first"),
    events: need("events"),
    skipped: may("skipped"),
    from_ms: need("from_ms"),
    to_ms: need("to_ms"),
});
object!(MsgEvent = MsgEvent {
    from: RegionId::TOKYO,
    to: RegionId::TOKYO,
    sent_at: 0,
    end_at: 0,
    label: String::new(),
    like: false,
    fate: Fate::Delivered,
    dup: false,
    merged: false,
    saga: false,
}; {
    from: need("f"),
    to: need("t"),
    sent_at: need("s"),
    end_at: need("a"),
    label: need("l"),
    like: may("c"),
    fate: may("x"),
    dup: may("d"),
    merged: may("m"),
    saga: may("g"),
});
object!(SimView = SimView {
    now_ms: 0,
    strategy: StrategyKind::EventPush,
    strategy_config: None,
    data_type: DataType::default(),
    truth: Truth::default(),
    replicas: Vec::new(),
    divergence: 0,
    consistency: Consistency::Settling { since: 0 },
    last_write_at: None,
    in_flight: 0,
    saga_in_flight: 0,
    links: Vec::new(),
    packets: Vec::new(),
    net: NetStats::default(),
    verdict: Verdict::default(),
    faults: FaultView::default(),
    stages: Vec::new(),
    read_model: None,
    sagas: None,
    scenario: None,
}; {
    now_ms: need("now_ms"),
    strategy: need("strategy"),
    strategy_config: may("strategy_config"),
    data_type: may("data_type"),
    truth: need("truth"),
    replicas: need("replicas"),
    divergence: need("divergence"),
    consistency: need("consistency"),
    last_write_at: need("last_write_at"),
    in_flight: need("in_flight"),
    saga_in_flight: may("saga_in_flight"),
    links: need("links"),
    packets: need("packets"),
    net: need("net"),
    verdict: may("verdict"),
    faults: may("faults"),
    stages: may("stages"),
    read_model: need("read_model"),
    sagas: need("sagas"),
    scenario: need("scenario"),
});
object!(Truth = Truth::default(); {
    total: need("total"),
    per_region: need("per_region"),
    refused: need("refused"),
    in_doubt: may("in_doubt"),
});
object!(ReplicaView = ReplicaView {
    region: RegionId::TOKYO,
    value: 0,
    behind: 0,
    in_flight_out: 0,
    crashed: false,
    available: true,
    members: None,
    ops: None,
    tombstones: None,
}; {
    region: need("region"),
    value: need("value"),
    behind: need("behind"),
    in_flight_out: need("in_flight_out"),
    crashed: may("crashed"),
    available: may("available"),
    members: need("members"),
    ops: need("ops"),
    tombstones: need("tombstones"),
});
object!(PacketView = PacketView {
    from: RegionId::TOKYO,
    to: RegionId::TOKYO,
    sent_at: 0,
    arrive_at: 0,
    kind: MessageKind::Like,
    lost: false,
    label: String::new(),
    background: false,
    news: false,
    saga: false,
}; {
    from: need("f"),
    to: need("t"),
    sent_at: need("s"),
    arrive_at: need("a"),
    kind: need("k"),
    lost: may("x"),
    label: may("l"),
    background: may("b"),
    news: may("n"),
    saga: may("g"),
});
object!(LinkView = LinkView { from: RegionId::TOKYO, to: RegionId::TOKYO, in_flight: 0 }; {
    from: need("f"),
    to: need("t"),
    in_flight: need("n"),
});
object!(LinkRef = LinkRef { from: RegionId::TOKYO, to: RegionId::TOKYO }; { from: need("f"), to: need("t") });
object!(LinkConditions = LinkConditions { latency_ms: 0, jitter_ms: 0, loss: 0.0, duplicate: 0.0, cut: false }; {
    latency_ms: need("latency_ms"),
    jitter_ms: need("jitter_ms"),
    loss: need("loss"),
    duplicate: need("duplicate"),
    cut: need("cut"),
});
// `#[serde(default)]` on the struct: every field may be missing.
object!(NetStats = NetStats::default(); {
    messages: may("messages"),
    bytes: may("bytes"),
    like_messages: may("like_messages"),
    like_bytes: may("like_bytes"),
    dropped: may("dropped"),
    duplicated: may("duplicated"),
});
object!(FaultView = FaultView::default(); {
    cut: need("cut"),
    loss: need("loss"),
    duplicate: need("duplicate"),
    jitter_ms: need("jitter_ms"),
    natural_jitter: may("natural_jitter"),
    durable: need("durable"),
    custom: may("custom"),
});
object!(Stage = Stage { label: String::new(), count: 0, note: String::new() }; {
    label: need("label"),
    count: need("count"),
    note: need("note"),
});
object!(Pending = Pending { count: 0, what: String::new() }; { count: need("count"), what: need("what") });
// `#[serde(default)]` on the struct, as for `NetStats`.
object!(Verdict = Verdict::default(); {
    acknowledged: may("acknowledged"),
    in_doubt: may("in_doubt"),
    refused: may("refused"),
    values: may("values"),
    settled: may("settled"),
    pending: may("pending"),
    lost: may("lost"),
    double_counted: may("double_counted"),
    per_origin: may("per_origin"),
    lost_to_skew: may("lost_to_skew"),
    destroyed_in_crashes: may("destroyed_in_crashes"),
    timing: may("timing"),
    visibility: may("visibility"),
    reads: may("reads"),
    stale_reads: may("stale_reads"),
    like_messages_per_like: may("like_messages_per_like"),
    like_bytes_per_like: may("like_bytes_per_like"),
    background_messages_per_s: may("background_messages_per_s"),
    background_bytes_per_s: may("background_bytes_per_s"),
    bytes_saved: may("bytes_saved"),
    durable: may("durable"),
    last_switch: may("last_switch"),
    data_type: may("data_type"),
    set: may("set"),
    sagas: may("sagas"),
});
object!(Visibility = Visibility::default(); {
    samples: may("samples"),
    p50_ms: may("p50_ms"),
    p99_ms: may("p99_ms"),
    max_ms: may("max_ms"),
    unseen: may("unseen"),
});
object!(OriginJudgement = OriginJudgement {
    origin: RegionId::TOKYO,
    acknowledged: 0,
    fewest_held: 0,
    most_held: 0,
    lost: 0,
    double_counted: 0,
}; {
    origin: need("origin"),
    acknowledged: need("acknowledged"),
    fewest_held: need("fewest_held"),
    most_held: need("most_held"),
    lost: need("lost"),
    double_counted: need("double_counted"),
});
object!(Extra = Extra { total_ms: 0, jitter_ms: 0, late_ms: 0 }; {
    total_ms: need("total_ms"),
    jitter_ms: need("jitter_ms"),
    late_ms: need("late_ms"),
});
object!(Timing = Timing {
    from_ms: 0,
    from_what: String::new(),
    measured_ms: 0,
    reference: None,
    reference_ms: None,
    last_change: None,
    extra: None,
}; {
    from_ms: need("from_ms"),
    from_what: may("from_what"),
    measured_ms: need("measured_ms"),
    reference: need("reference"),
    reference_ms: need("reference_ms"),
    last_change: need("last_change"),
    extra: need("extra"),
});
object!(Reference = Reference {
    at: 0,
    wait_ms: 0,
    propagation_ms: 0,
    path: String::new(),
    mechanism: String::new(),
}; {
    at: need("at"),
    wait_ms: need("wait_ms"),
    propagation_ms: need("propagation_ms"),
    path: need("path"),
    mechanism: need("mechanism"),
});
object!(LastChange = LastChange {
    at: 0,
    region: RegionId::TOKYO,
    by: String::new(),
    from: None,
    travel_ms: None,
    base_ms: None,
}; {
    at: need("at"),
    region: need("region"),
    by: need("by"),
    from: may("from"),
    travel_ms: may("travel_ms"),
    base_ms: may("base_ms"),
});
object!(SwitchNote = SwitchNote {
    at: 0,
    from: StrategyKind::EventPush,
    to: StrategyKind::EventPush,
    dropped_messages: 0,
    resolved_acknowledged: 0,
    resolved_refused: 0,
}; {
    at: need("at"),
    from: need("from"),
    to: need("to"),
    dropped_messages: need("dropped_messages"),
    resolved_acknowledged: need("resolved_acknowledged"),
    resolved_refused: need("resolved_refused"),
});
object!(SetVerdict = SetVerdict::default(); {
    expected: need("expected"),
    lost: need("lost"),
    lost_people: may("lost_people"),
    people: need("people"),
    ops_held: need("ops_held"),
    tombstones: need("tombstones"),
    no_double_count: need("no_double_count"),
});
// `#[serde(default)]` on the struct, as for `NetStats`.
object!(SagaVerdict = SagaVerdict::default(); {
    issued: may("issued"),
    in_wallets: may("in_wallets"),
    paid_out: may("paid_out"),
    in_flight: may("in_flight"),
    conserved: may("conserved"),
    broken_at: may("broken_at"),
    started: may("started"),
    completed: may("completed"),
    compensated: may("compensated"),
    running: may("running"),
    stranded: may("stranded"),
    seen_then_taken_back: may("seen_then_taken_back"),
    stranded_coins: may("stranded_coins"),
});
object!(ReadModelView = ReadModelView {
    interval_ms: 0,
    members: Vec::new(),
    count: 0,
    behind_events: 0,
    behind_ms: 0,
    stale: false,
    ran_at: None,
    rebuilds: 0,
}; {
    interval_ms: need("interval_ms"),
    members: need("members"),
    count: need("count"),
    behind_events: need("behind_events"),
    behind_ms: need("behind_ms"),
    stale: may("stale"),
    ran_at: need("ran_at"),
    rebuilds: may("rebuilds"),
});
object!(SagasView = SagasView {
    rows: Vec::new(),
    trimmed: 0,
    wallets: Vec::new(),
    payouts_open: false,
    super_likes: Vec::new(),
    services: [RegionId::TOKYO; 3],
}; {
    rows: need("rows"),
    trimmed: need("trimmed"),
    wallets: need("wallets"),
    payouts_open: need("payouts_open"),
    super_likes: need("super_likes"),
    services: need("services"),
});
object!(SagaRow = SagaRow {
    id: 0,
    person: 0,
    region: RegionId::TOKYO,
    started_at: 0,
    state: String::new(),
    steps: [StepState::Pending; 3],
    now: None,
    failed_by: None,
}; {
    id: need("id"),
    person: need("person"),
    region: need("region"),
    started_at: need("started_at"),
    state: need("state"),
    steps: need("steps"),
    now: may("now"),
    failed_by: may("failed_by"),
});
object!(ScenarioView = ScenarioView { id: String::new(), done: 0, finished: false }; {
    id: need("id"),
    done: need("done"),
    finished: need("finished"),
});

/// `LinkSetting` flattens a `LinkRef` and a `LinkConditions` into one
/// object; each reads its own keys from it.
impl FromJson for LinkSetting {
    fn from_json(v: &Value) -> Result<Self> {
        Ok(LinkSetting { link: LinkRef::from_json(v)?, conditions: LinkConditions::from_json(v)? })
    }
}

/// Tagged by `state`.
impl FromJson for Consistency {
    fn from_json(v: &Value) -> Result<Self> {
        let o = Obj::new(v)?;
        Ok(match o.tag("state")? {
            "settled" => {
                Consistency::Settled { since: o.get("since")?, took_ms: o.get("took_ms")?, correct: o.get("correct")? }
            }
            "settling" => Consistency::Settling { since: o.get("since")? },
            other => return Err(Error(format!("unknown state \"{other}\""))),
        })
    }
}

/// Tagged by `e`; a message's own fields sit beside the tag.
impl FromJson for HistoryEvent {
    fn from_json(v: &Value) -> Result<Self> {
        let o = Obj::new(v)?;
        Ok(match o.tag("e")? {
            "msg" => HistoryEvent::Msg(MsgEvent::from_json(v)?),
            "like" => HistoryEvent::Like { region: o.get("r")?, at: o.get("at")?, ok: o.get("ok")? },
            "counts" => HistoryEvent::Counts { at: o.get("at")?, values: o.get("v")?, truth: o.get("truth")? },
            "mark" => HistoryEvent::Mark { at: o.get("at")?, what: o.get("what")?, a: o.get("a")?, b: o.get("b")? },
            "super_likes" => HistoryEvent::SuperLikes { at: o.get("at")?, values: o.get("v")? },
            "taken_back" => {
                HistoryEvent::TakenBack { at: o.get("at")?, seen_at: o.get("seen_at")?, saga: o.get("saga")? }
            }
            other => return Err(Error(format!("unknown event \"{other}\""))),
        })
    }
}

/// Tagged by `kind`; the defaults are the strategies' own.
impl FromJson for StrategyConfig {
    fn from_json(v: &Value) -> Result<Self> {
        let o = Obj::new(v)?;
        Ok(match o.tag("kind")? {
            "event_push" => StrategyConfig::EventPush {
                anti_entropy_ms: o.get("anti_entropy_ms")?,
                retry_ms: o.or("retry_ms", None)?,
                dedupe: o.or("dedupe", true)?,
            },
            "background_sync" => {
                StrategyConfig::BackgroundSync { interval_ms: o.get("interval_ms")?, delta: o.or("delta", false)? }
            }
            "queue_batch" => StrategyConfig::QueueBatch { batch_ms: o.get("batch_ms")?, writer: o.get("writer")? },
            "last_writer_wins" => StrategyConfig::LastWriterWins {
                resend_ms: o.get("resend_ms")?,
                skew_ms: o.or("skew_ms", LastWriterWins::DEFAULT_SKEW_MS)?,
            },
            "single_writer" => StrategyConfig::SingleWriter {
                leader: o.get("leader")?,
                timeout_ms: o.or("timeout_ms", SingleWriter::DEFAULT_TIMEOUT_MS)?,
            },
            other => return Err(Error(format!("unknown kind \"{other}\""))),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The oracle is serde: `shared` keeps its derived decoders (the server
    //! needs them), so natively every value can be decoded both ways and
    //! compared, including broken ones.
    use super::*;
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use shared::protocol::history::HistoryEvent as E;
    use shared::sim::{SimConfig, Simulation};
    use std::fmt::Debug;

    /// A unit enum whose variants the decoder lists (see `unit_enum!`).
    pub trait Listed: Sized {
        fn listed() -> Vec<Self>;
    }

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    /// Decodes `v` both ways; both must fail, or both give the same value.
    fn agree<T: FromJson + DeserializeOwned + PartialEq + Debug>(v: &Value) {
        let ours = T::from_json(v);
        let serde = serde_json::from_value::<T>(v.clone());
        match (&ours, &serde) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "decoded differently: {v}"),
            (Err(_), Err(_)) => {}
            _ => panic!("ours {:?} but serde {:?} on {v}", ours.map(|_| ()), serde.map(|_| ())),
        }
    }

    /// `value` decodes back to itself, and every one-place change to its
    /// JSON (a key removed; a value replaced by `null`, a string, a float,
    /// a negative, a number past `u32`, a bool, an empty object, or an
    /// empty array where there was an array) decodes as serde decodes it.
    fn round_trips_and_agrees<T: FromJson + Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> usize {
        let json = serde_json::to_value(value).unwrap();
        assert_eq!(&T::from_json(&json).unwrap(), value);
        let mut changed = 0;
        for_each_change(&json, &mut |v| {
            agree::<T>(v);
            changed += 1;
        });
        changed
    }

    /// Calls `f` with every one-place change of `root` (see above).
    fn for_each_change(root: &Value, f: &mut dyn FnMut(&Value)) {
        fn paths(v: &Value, here: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
            out.push(here.clone());
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        here.push(PathStep::Key(k.clone()));
                        paths(x, here, out);
                        here.pop();
                    }
                }
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        here.push(PathStep::Index(i));
                        paths(x, here, out);
                        here.pop();
                    }
                }
                _ => {}
            }
        }
        let mut all = Vec::new();
        paths(root, &mut Vec::new(), &mut all);
        for path in all.iter().filter(|p| !p.is_empty()) {
            let (last, parent) = path.split_last().unwrap();
            // A copy of `root` with the value at `path` changed (or removed).
            let changed = |new: Option<Value>| {
                let mut copy = root.clone();
                let slot = parent.iter().fold(&mut copy, |v, step| step.get(v));
                match (new, last) {
                    (Some(new), last) => *last.get(slot) = new,
                    (None, PathStep::Key(k)) => drop(slot.as_object_mut().unwrap().remove(k)),
                    (None, PathStep::Index(i)) => drop(slot.as_array_mut().unwrap().remove(*i)),
                }
                copy
            };
            if matches!(last, PathStep::Key(_)) {
                f(&changed(None));
            }
            let was_array = path.iter().fold(root, |v, step| step.at(v)).is_array();
            let mut replacements = vec![
                Value::Null,
                Value::from("x"),
                Value::from(1.5),
                Value::from(-1),
                Value::from(1u64 << 32),
                Value::from(true),
                Value::Object(Map::new()),
            ];
            if was_array {
                replacements.push(Value::Array(Vec::new()));
            }
            for new in replacements {
                f(&changed(Some(new)));
            }
        }
    }

    #[derive(Clone)]
    enum PathStep {
        Key(String),
        Index(usize),
    }

    impl PathStep {
        fn get<'a>(&self, v: &'a mut Value) -> &'a mut Value {
            match self {
                PathStep::Key(k) => &mut v[k.as_str()],
                PathStep::Index(i) => &mut v[*i],
            }
        }

        fn at<'a>(&self, v: &'a Value) -> &'a Value {
            match self {
                PathStep::Key(k) => &v[k.as_str()],
                PathStep::Index(i) => &v[*i],
            }
        }
    }

    fn every_unit_variant<T: Listed + Named + Copy + FromJson + Serialize + PartialEq + Debug>() {
        for x in T::listed() {
            let json = serde_json::to_value(x).unwrap();
            assert_eq!(T::from_json(&json).unwrap(), x, "{json}");
            assert_eq!(json, x.wire_name(), "what the page writes");
        }
        assert!(T::from_json(&Value::from("not_a_variant")).is_err());
    }

    #[test]
    fn every_unit_variant_has_serdes_name() {
        every_unit_variant::<ErrorCode>();
        every_unit_variant::<StrategyKind>();
        every_unit_variant::<DataType>();
        every_unit_variant::<MessageKind>();
        every_unit_variant::<Fate>();
        every_unit_variant::<MarkKind>();
        every_unit_variant::<Action>();
        every_unit_variant::<StepState>();
    }

    /// One of each strategy, with every optional knob both set and not.
    pub fn strategies() -> Vec<StrategyConfig> {
        let all = [
            StrategyConfig::EventPush { anti_entropy_ms: Some(4_000), retry_ms: Some(900), dedupe: false },
            StrategyConfig::EventPush { anti_entropy_ms: None, retry_ms: None, dedupe: true },
            StrategyConfig::BackgroundSync { interval_ms: 3_000, delta: true },
            StrategyConfig::BackgroundSync { interval_ms: 3_000, delta: false },
            StrategyConfig::QueueBatch { batch_ms: 700, writer: r("mumbai") },
            StrategyConfig::LastWriterWins { resend_ms: Some(2_000), skew_ms: 250 },
            StrategyConfig::LastWriterWins { resend_ms: None, skew_ms: LastWriterWins::DEFAULT_SKEW_MS },
            StrategyConfig::SingleWriter { leader: r("sydney"), timeout_ms: 9_000 },
            StrategyConfig::SingleWriter { leader: r("sydney"), timeout_ms: SingleWriter::DEFAULT_TIMEOUT_MS },
        ];
        // Exhaustive: a new strategy fails to compile until it is sampled.
        for c in &all {
            match c {
                StrategyConfig::EventPush { .. }
                | StrategyConfig::BackgroundSync { .. }
                | StrategyConfig::QueueBatch { .. }
                | StrategyConfig::LastWriterWins { .. }
                | StrategyConfig::SingleWriter { .. } => {}
            }
        }
        all.into()
    }

    /// Every kind of history event, each optional field both set and not.
    fn events() -> Vec<HistoryEvent> {
        let msg = |fate, on: bool| {
            E::Msg(MsgEvent {
                from: r("tokyo"),
                to: r("virginia"),
                sent_at: 10,
                end_at: 1_200,
                label: "like".into(),
                like: on,
                fate,
                dup: on,
                merged: !on,
                saga: on,
            })
        };
        let all = vec![
            msg(Fate::Delivered, true),
            msg(Fate::Delivered, false),
            msg(Fate::Lost, true),
            msg(Fate::Refused, false),
            E::Like { region: r("frankfurt"), at: 5, ok: false },
            E::Counts { at: 7, values: [1, 0, 3, 0, 0, 2], truth: 6 },
            E::Mark { at: 9, what: MarkKind::Cut, a: Some(r("tokyo")), b: Some(r("sydney")) },
            E::Mark { at: 9, what: MarkKind::HealAll, a: None, b: None },
            E::SuperLikes { at: 11, values: [0, 1, 0, 0, 4, 0] },
            E::TakenBack { at: 12, seen_at: 8, saga: 3 },
        ];
        for e in &all {
            match e {
                E::Msg(_) | E::Like { .. } | E::Counts { .. } | E::Mark { .. } | E::SuperLikes { .. } => {}
                E::TakenBack { .. } => {}
            }
        }
        all
    }

    /// A frame with every optional part present and non-default values
    /// everywhere, so a misread key or a wrong default shows.
    pub fn rich_frame() -> Frame {
        let mut sim = Simulation::new(SimConfig::default());
        sim.like(r("tokyo"), 100).unwrap();
        let base = sim.view();
        let last_change = LastChange {
            at: 1_100,
            region: r("sydney"),
            by: "a like".into(),
            from: Some(r("tokyo")),
            travel_ms: Some(300),
            base_ms: Some(250),
        };
        let verdict = Verdict {
            acknowledged: 4,
            in_doubt: 1,
            refused: 2,
            values: vec![4, 3, 4, 4, 4, 4],
            settled: true,
            pending: vec![Pending { count: 2, what: "messages".into() }],
            lost: Some(1),
            double_counted: Some(0),
            per_origin: vec![OriginJudgement {
                origin: r("tokyo"),
                acknowledged: 4,
                fewest_held: 3,
                most_held: 4,
                lost: 1,
                double_counted: 0,
            }],
            lost_to_skew: Some(1),
            destroyed_in_crashes: 2,
            timing: Some(Timing {
                from_ms: 1_000,
                from_what: "a heal".into(),
                measured_ms: 900,
                reference: Some(Reference {
                    at: 1_500,
                    wait_ms: 200,
                    propagation_ms: 300,
                    path: "tokyo → sydney".into(),
                    mechanism: "push".into(),
                }),
                reference_ms: Some(500),
                last_change: Some(last_change.clone()),
                extra: Some(Extra { total_ms: 400, jitter_ms: 100, late_ms: 300 }),
            }),
            visibility: Some(Visibility { samples: 9, p50_ms: Some(120), p99_ms: None, max_ms: Some(900), unseen: 1 }),
            reads: 100,
            stale_reads: 7,
            like_messages_per_like: Some(5.5),
            like_bytes_per_like: Some(55.25),
            background_messages_per_s: Some(0.1),
            background_bytes_per_s: None,
            bytes_saved: 77,
            durable: true,
            last_switch: Some(SwitchNote {
                at: 50,
                from: StrategyKind::EventPush,
                to: StrategyKind::SingleWriter,
                dropped_messages: 3,
                resolved_acknowledged: 1,
                resolved_refused: 2,
            }),
            data_type: DataType::LikesRemoveWins,
            set: Some(SetVerdict {
                expected: 3,
                lost: Some(1),
                lost_people: vec![42],
                people: 2,
                ops_held: 5,
                tombstones: 1,
                no_double_count: "once".into(),
            }),
            sagas: Some(SagaVerdict {
                issued: 9,
                in_wallets: 6,
                paid_out: 2,
                in_flight: 1,
                conserved: true,
                broken_at: Some(77),
                started: 3,
                completed: 2,
                compensated: 1,
                running: 0,
                stranded: 1,
                seen_then_taken_back: 1,
                stranded_coins: 1,
            }),
        };
        let sim = SimView {
            strategy_config: Some(StrategyConfig::QueueBatch { batch_ms: 700, writer: r("mumbai") }),
            data_type: DataType::LikesAddWins,
            truth: Truth { total: 4, per_region: vec![4, 0, 0, 0, 0, 0], refused: 2, in_doubt: vec![0, 1, 0, 0, 0, 0] },
            replicas: vec![
                ReplicaView {
                    region: r("tokyo"),
                    value: 4,
                    behind: -1,
                    in_flight_out: 3,
                    crashed: true,
                    available: false,
                    members: Some(vec![42, 43]),
                    ops: Some(5),
                    tombstones: Some(1),
                },
                ReplicaView {
                    region: r("sydney"),
                    value: 3,
                    behind: 1,
                    in_flight_out: 0,
                    crashed: false,
                    available: true,
                    members: None,
                    ops: None,
                    tombstones: None,
                },
            ],
            divergence: 1,
            consistency: Consistency::Settled { since: 900, took_ms: Some(800), correct: false },
            last_write_at: Some(100),
            in_flight: 3,
            saga_in_flight: 2,
            links: vec![LinkView { from: r("tokyo"), to: r("sydney"), in_flight: 2 }],
            packets: vec![
                PacketView {
                    from: r("tokyo"),
                    to: r("sydney"),
                    sent_at: 100,
                    arrive_at: 400,
                    kind: MessageKind::State,
                    lost: true,
                    label: "state".into(),
                    background: true,
                    news: true,
                    saga: true,
                },
                PacketView {
                    from: r("sydney"),
                    to: r("tokyo"),
                    sent_at: 100,
                    arrive_at: 400,
                    kind: MessageKind::Like,
                    lost: false,
                    label: String::new(),
                    background: false,
                    news: false,
                    saga: false,
                },
            ],
            net: NetStats { messages: 5, bytes: 50, like_messages: 4, like_bytes: 40, dropped: 1, duplicated: 2 },
            verdict,
            faults: FaultView {
                cut: vec![LinkRef { from: r("tokyo"), to: r("virginia") }],
                loss: 0.25,
                duplicate: 0.5,
                jitter_ms: 300,
                natural_jitter: true,
                durable: false,
                custom: vec![LinkSetting {
                    link: LinkRef { from: r("tokyo"), to: r("sydney") },
                    conditions: LinkConditions {
                        latency_ms: 4_000,
                        jitter_ms: 0,
                        loss: 0.5,
                        duplicate: 0.0,
                        cut: true,
                    },
                }],
            },
            stages: vec![Stage { label: "queued".into(), count: 2, note: "waiting".into() }],
            read_model: Some(ReadModelView {
                interval_ms: 5_000,
                members: vec![42],
                count: 1,
                behind_events: 2,
                behind_ms: 300,
                stale: true,
                ran_at: Some(900),
                rebuilds: 4,
            }),
            sagas: Some(SagasView {
                rows: vec![
                    SagaRow {
                        id: 1,
                        person: 42,
                        region: r("tokyo"),
                        started_at: 1_000,
                        state: "compensated".into(),
                        steps: [StepState::Compensated, StepState::Skipped, StepState::Failed],
                        now: Some(Action::Refund),
                        failed_by: Some("refused".into()),
                    },
                    SagaRow {
                        id: 2,
                        person: 43,
                        region: r("mumbai"),
                        started_at: 1_100,
                        state: "running".into(),
                        steps: [StepState::Done, StepState::Pending, StepState::Pending],
                        now: None,
                        failed_by: None,
                    },
                ],
                trimmed: 3,
                wallets: vec![(42, 3), (43, 1)],
                payouts_open: false,
                super_likes: vec![0, 1, 0, 0, 0, 0],
                services: [r("virginia"), r("frankfurt"), r("saopaulo")],
            }),
            scenario: Some(ScenarioView { id: "partition".into(), done: 2, finished: true }),
            ..base
        };
        Frame {
            seq: 3,
            viewers: 2,
            sim,
            time: TimeView { paused: true, speed: 0.5, history_from_ms: 300 },
            history: Some(HistoryChunk { first: 40, events: events(), skipped: 3, from_ms: 0, to_ms: 1_200 }),
            people: vec![1, 0, 2, 0, 0, 1],
            presenter: Some(PresenterView { here: true, name: Some("Teal Otter".into()) }),
            changes: vec![
                Change { n: 1, at: 80, text: "Teal Otter cut Tokyo ⇄ Virginia".into(), times: 1 },
                Change { n: 2, at: 90, text: "Teal Otter stepped".into(), times: 3 },
            ],
        }
    }

    /// The same frame with every optional part absent or empty.
    fn bare_frame() -> Frame {
        let sim = Simulation::new(SimConfig::default());
        Frame {
            seq: 0,
            viewers: 0,
            sim: sim.view(),
            time: TimeView::default(),
            history: None,
            people: Vec::new(),
            presenter: Some(PresenterView { here: false, name: None }),
            changes: Vec::new(),
        }
    }

    #[test]
    fn hand_decoding_agrees_with_serde() {
        let mut changes = 0;
        changes += round_trips_and_agrees(&rich_frame());
        changes += round_trips_and_agrees(&bare_frame());
        let snapshot = Snapshot {
            protocol: shared::protocol::PROTOCOL_VERSION,
            room: "r1".into(),
            public: false,
            regions: RegionInfo::catalog(),
            latency_ms: LatencyMatrix::from_geography(1.0),
            strategies: StrategyDescription::all(),
            frame: bare_frame(),
        };
        changes += round_trips_and_agrees(&snapshot);
        for config in strategies() {
            changes += round_trips_and_agrees(&config);
        }
        for event in events() {
            changes += round_trips_and_agrees(&event);
        }
        for consistency in [
            Consistency::Settling { since: 5 },
            Consistency::Settled { since: 7, took_ms: None, correct: true },
            Consistency::Settled { since: 7, took_ms: Some(3), correct: false },
        ] {
            match consistency {
                Consistency::Settling { .. } | Consistency::Settled { .. } => {}
            }
            changes += round_trips_and_agrees(&consistency);
        }
        for count in [1, 5] {
            let error = ProtocolError { code: ErrorCode::RateLimited, message: "slow down".into(), count };
            changes += round_trips_and_agrees(&error);
        }
        assert!(changes > 5_000, "only {changes} changed values tried");
    }

    #[test]
    fn errors_say_where() {
        let mut json = serde_json::to_value(rich_frame()).unwrap();
        json["sim"]["packets"][1]["s"] = Value::from("soon");
        let e = Frame::from_json(&json).unwrap_err().to_string();
        assert_eq!(e, "sim.packets.1.s.expected an unsigned integer");
    }
}
