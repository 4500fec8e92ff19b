//! The wire protocol between a browser and the server: JSON text frames over
//! one WebSocket per viewer, at `GET /ws/{room}`.
//!
//! # Shape of a conversation
//! 1. The client connects. The server answers with one [`ServerMessage::Snapshot`]:
//!    the protocol version, the room, the regions and link delays, and a
//!    first [`Frame`]. A client that reconnects gets a fresh snapshot, so it
//!    never has to replay anything it missed.
//! 2. The server then pushes a frame whenever the room changed, at most ~30
//!    per second: mostly a *delta* (`{"type":"delta","base":41,"seq":42,…}`,
//!    only what changed since frame `base`, see [`delta`]), and a full
//!    [`ServerMessage::Frame`] (a *keyframe*) right after joining, every 2 s,
//!    and whenever this viewer's writer skipped a frame. A client applies a
//!    delta only to the frame whose `seq` is its `base`; after a gap it waits
//!    for the next keyframe, which carries the whole visible state.
//! 3. The client sends [`ClientMessage`]s (likes). A message the server
//!    cannot accept is answered with a [`ServerMessage::Error`] saying why;
//!    the connection and the room carry on.
//!
//! # Messages
//! Every message is an object with a `"type"` tag.
//!
//! Client → server, a like in Tokyo:
//! ```
//! # use shared::protocol::*;
//! let msg: ClientMessage = serde_json::from_str(r#"{"type":"like","region":"tokyo"}"#).unwrap();
//! assert_eq!(msg, ClientMessage::Like { region: "tokyo".into(), person: None });
//! ```
//! A person's like and unlike carry the id the browser keeps (8–64 of
//! `A-Z a-z 0-9 _ -`, [`ErrorCode::BadPerson`] otherwise); `hello` tells
//! the room who a viewer is and their home region, and is sent on every
//! (re)connect. In a room of claps a person's like is a clap, and an unlike
//! is refused:
//! ```
//! # use shared::{protocol::*, crdt::Act, people::person_id};
//! let me = person_id("p_3kX9a0Qz").unwrap();
//! let like = parse_client_message(r#"{"type":"like","region":"tokyo","person":"p_3kX9a0Qz"}"#).unwrap();
//! assert!(matches!(like, Request::Command(Command::Act { act: Act::Like(p), .. }) if p == me));
//! let unlike = parse_client_message(r#"{"type":"unlike","region":"virginia","person":"p_3kX9a0Qz"}"#).unwrap();
//! assert!(matches!(unlike, Request::Command(Command::Act { act: Act::Unlike(p), .. }) if p == me));
//! let hello = parse_client_message(r#"{"type":"hello","person":"p_3kX9a0Qz","home":"sydney"}"#).unwrap();
//! assert!(matches!(hello, Request::Hello { person, .. } if person == me));
//! let bad = parse_client_message(r#"{"type":"like","region":"tokyo","person":"<script>"}"#).unwrap_err();
//! assert_eq!(bad.code, ErrorCode::BadPerson);
//! ```
//! A super like (a saga, see [`crate::sim::sagas`]) carries the person
//! too; closing the author's payouts is a lab control (so `locked` in the
//! public room), under which every super like is compensated:
//! ```
//! # use shared::{protocol::*, people::person_id};
//! let me = person_id("p_3kX9a0Qz").unwrap();
//! let sl = parse_client_message(r#"{"type":"super_like","region":"tokyo","person":"p_3kX9a0Qz"}"#).unwrap();
//! assert!(matches!(sl, Request::Command(Command::SuperLike { person, .. }) if person == me));
//! let close = parse_client_message(r#"{"type":"set_payouts","open":false}"#).unwrap();
//! assert_eq!(close, Request::Command(Command::Control(Control::SetPayouts(false))));
//! let bad = parse_client_message(r#"{"type":"super_like","region":"tokyo"}"#).unwrap_err();
//! assert_eq!(bad.code, ErrorCode::BadMessage);
//! ```
//! A frame's `sim.sagas` (once someone super-liked, or the payouts closed)
//! lists the recent sagas, newest first, each with its three steps —
//! debit, record, credit — as `pending`, `done`, `failed`, `compensated`
//! or `skipped`; the wallets (person id, coins); the payouts switch; the
//! super likes each region shows; and where the three services live. The
//! verdict's `sagas` holds the money figures:
//! ```
//! # use shared::sim::{SagasView, SagaVerdict};
//! let view: SagasView = serde_json::from_str(r#"{
//!   "rows":[{"id":1,"person":42,"region":"tokyo","started_at":1000,"state":"compensated",
//!            "steps":["compensated","compensated","failed"],"failed_by":"refused"}],
//!   "trimmed":0,"wallets":[[42,3]],"payouts_open":false,
//!   "super_likes":[0,0,0,0,0,0],"services":["virginia","frankfurt","saopaulo"]}"#).unwrap();
//! assert_eq!(view.rows[0].state, "compensated");
//! let money: SagaVerdict = serde_json::from_str(r#"{"issued":3,"in_wallets":3,"paid_out":0,"in_flight":0,
//!   "conserved":true,"started":1,"completed":0,"compensated":1,"running":0,"stranded":0,
//!   "seen_then_taken_back":1}"#).unwrap();
//! assert!(money.conserved && money.in_wallets + money.paid_out + money.in_flight == money.issued);
//! ```
//! Likes and controls are logged with the simulated time they were taken
//! at (the room *is* that log, see [`crate::sim::replay`]); a frame shows a
//! like only once its log entry is durably stored.
//!
//! Server → client, the snapshot on join (abridged: `regions` lists every
//! region, `latency_ms[a][b]` is the one-way delay from region `a` to `b`
//! in catalog order, and `frame` is a full [`Frame`]):
//! ```json
//! {"type":"snapshot","protocol":3,"room":"public","public":true,
//!  "regions":[{"id":"tokyo","city":"Tokyo","area":"Asia Pacific","country":"JP","lat":35.68,"lon":139.69}, ...],
//!  "latency_ms":[[0,1097,...], ...],
//!  "frame":{ ...as below... }}
//! ```
//!
//! Server → client, a frame (abridged to two regions): Tokyo took a like
//! 120 ms ago, Frankfurt has not heard of it yet, five events are in flight.
//! ```json
//! {"type":"frame","seq":42,"viewers":3,"sim":{
//!   "now_ms":5120,"strategy":"event_push",
//!   "truth":{"total":1,"per_region":[1,0,0,0,0,0],"refused":0,"in_doubt":[0,0,0,0,0,0]},
//!   "replicas":[{"region":"tokyo","value":1,"behind":0,"in_flight_out":5},
//!               {"region":"frankfurt","value":0,"behind":1,"in_flight_out":0}],
//!   "divergence":1,"consistency":{"state":"settling","since":5000},
//!   "last_write_at":5000,"in_flight":5,
//!   "links":[{"f":"tokyo","t":"frankfurt","n":1}],
//!   "packets":[{"f":"tokyo","t":"frankfurt","s":5000,"a":6140,"k":"like","l":"like"}],
//!   "net":{"messages":5,"bytes":50,"like_messages":5,"like_bytes":50,"dropped":0,"duplicated":0},
//!   "verdict":{"settled":false,"lost":null,"pending":[{"count":5,"what":"messages on the wire will still change a replica"}], ...}}}
//! ```
//! The room's status is one of two, judged against the ground truth; the
//! verdict's figures (see [`crate::sim::Verdict`]) are judged only once it
//! has settled:
//! ```
//! # use shared::protocol::view::Consistency;
//! let now: Consistency = serde_json::from_str(r#"{"state":"settling","since":5000}"#).unwrap();
//! assert_eq!(now, Consistency::Settling { since: 5000 });
//! let later: Consistency =
//!     serde_json::from_str(r#"{"state":"settled","since":7012,"took_ms":2012,"correct":true}"#).unwrap();
//! assert_eq!(later, Consistency::Settled { since: 7012, took_ms: Some(2012), correct: true });
//! ```
//!
//! A frame's `faults` lists what the lab changed: cut directed links, the
//! room-wide loss, duplication and jitter, and (only when there are any) the
//! links with conditions of their own. Every other link is the room-wide
//! settings over its base delay from the snapshot's `latency_ms`:
//! ```
//! # use shared::{region::*, protocol::view::FaultView};
//! let faults: FaultView = serde_json::from_str(r#"{
//!   "cut":[{"f":"tokyo","t":"virginia"},{"f":"virginia","t":"tokyo"}],
//!   "loss":0.1,"duplicate":0.0,"jitter_ms":300,"natural_jitter":false,"durable":true,
//!   "custom":[{"f":"tokyo","t":"sydney","latency_ms":4000,"jitter_ms":0,"loss":0.5,"duplicate":0.0,"cut":false}]
//! }"#).unwrap();
//! let latency = LatencyMatrix::from_geography(1.0);
//! let r = |id| RegionId::parse(id).unwrap();
//! assert_eq!(faults.link(&latency, r("tokyo"), r("sydney")).latency_ms, 4000);
//! assert!(faults.link(&latency, r("virginia"), r("tokyo")).cut);
//! assert_eq!(faults.link(&latency, r("mumbai"), r("tokyo")).loss, 0.1);
//! ```
//!
//! Server → client, an error (the connection stays open):
//! ```
//! # use shared::protocol::*;
//! let err = parse_client_message(r#"{"type":"like","region":"mars"}"#).unwrap_err();
//! assert_eq!(err.code, ErrorCode::UnknownRegion);
//! let json = serde_json::to_string(&ServerMessage::Error(err)).unwrap();
//! assert!(json.starts_with(r#"{"type":"error","code":"unknown_region","message":"unknown region \"mars\""#));
//! ```
//!
//! Client → server, controls (private rooms only; the public room answers
//! `{"type":"error","code":"locked",...}`). Each changes the room for
//! everyone in it and shows up in the next frame:
//! ```
//! # use shared::protocol::*;
//! for text in [
//!     r#"{"type":"set_strategy","config":{"kind":"last_writer_wins","resend_ms":4000,"skew_ms":250}}"#,
//!     r#"{"type":"set_strategy","config":{"kind":"single_writer","leader":"virginia","timeout_ms":5000}}"#,
//!     r#"{"type":"set_strategy","config":{"kind":"event_push","anti_entropy_ms":4000,"retry_ms":5000,"dedupe":true}}"#,
//!     r#"{"type":"set_strategy","config":{"kind":"background_sync","interval_ms":60000,"delta":true}}"#,
//!     r#"{"type":"set_link","from":"tokyo","to":"sydney","conditions":{"latency_ms":900,"jitter_ms":300,"loss":0.1,"duplicate":0.05,"cut":false}}"#,
//!     r#"{"type":"reset_link","from":"tokyo","to":"sydney"}"#,
//!     r#"{"type":"set_all_links","loss":0.2,"duplicate":0.1,"jitter_ms":null}"#,
//!     r#"{"type":"cut","a":"tokyo","b":"virginia"}"#,
//!     r#"{"type":"heal","a":"tokyo","b":"virginia"}"#,
//!     r#"{"type":"cut_one_way","from":"tokyo","to":"virginia"}"#,
//!     r#"{"type":"heal_one_way","from":"tokyo","to":"virginia"}"#,
//!     r#"{"type":"isolate","region":"frankfurt"}"#,
//!     r#"{"type":"heal_all"}"#,
//!     r#"{"type":"crash","region":"mumbai"}"#,
//!     r#"{"type":"restart","region":"mumbai"}"#,
//!     r#"{"type":"set_durable","durable":false}"#,
//!     r#"{"type":"set_data_type","data_type":"likes_add_wins"}"#,
//!     r#"{"type":"set_read_model","interval_ms":5000}"#,
//!     r#"{"type":"set_read_model","interval_ms":0}"#,
//!     r#"{"type":"set_payouts","open":false}"#,
//! ] {
//!     assert!(matches!(parse_client_message(text), Ok(Request::Command(Command::Control(_)))), "{text}");
//! }
//! ```
//! # Presenter
//! A room made by `POST /api/rooms` (the page's New room), `fork` or
//! `POST /api/import` has a *presenter*: the server issues its maker a
//! token, and only a connection that showed it with `present` may send
//! controls and time controls; anyone else gets `not_presenter`. Likes,
//! unlikes, `seek`, `fork` and `export` stay open to everyone. A room with
//! no token (made before presenters existed, or by opening an unused
//! `/r/{id}`) has no presenter: everyone in it may change it, as before.
//! Frames of a room with a presenter say whether one is here and their
//! name (`presenter`), and every frame lists the
//! room's last changes with who made them (see [`changes`]):
//! ```
//! # use shared::protocol::*;
//! assert_eq!(parse_client_message(r#"{"type":"present","token":"Qm7rT2xkP9aLw3Zc8VbN4d"}"#),
//!            Ok(Request::Present { token: "Qm7rT2xkP9aLw3Zc8VbN4d".into() }));
//! let ok: ServerMessage = serde_json::from_str(r#"{"type":"presenting"}"#).unwrap();
//! assert_eq!(ok, ServerMessage::Presenting);
//! let refused: ServerMessage = serde_json::from_str(r#"{"type":"error","code":"not_presenter",
//!   "message":"Teal Otter presents this room: controls are read-only for you; likes are open to everyone"}"#).unwrap();
//! assert!(matches!(refused, ServerMessage::Error(e) if e.code == ErrorCode::NotPresenter));
//! // In a frame (abridged): `"presenter":{"here":true,"name":"Teal Otter"}`,
//! // and `"changes":[...]` as below.
//! let who: PresenterView = serde_json::from_str(r#"{"here":true,"name":"Teal Otter"}"#).unwrap();
//! assert_eq!(who.name.as_deref(), Some("Teal Otter"));
//! let log: Vec<changes::Change> = serde_json::from_str(r#"[
//!   {"n":0,"at":1200,"text":"Teal Otter cut Tokyo ⇄ Virginia"},
//!   {"n":1,"at":1900,"text":"Teal Otter stepped to the next event","times":3}]"#).unwrap();
//! assert_eq!((log[1].n, log[1].times), (1, 3));
//! ```
//!
//! Strategy kinds and their knobs are listed in every snapshot's
//! `strategies` (with `default_config`); delays and intervals are capped at
//! one simulated minute, probabilities must lie in `0..=1` (`invalid_value`
//! otherwise).
//!
//! # Time: pause, speed, step, seek, fork, export
//! Room-wide time controls (private rooms only, `locked` in the public
//! room; they change the room for everyone in it). They are not logged:
//! the log stamps every input with its *simulated* time, so how fast the
//! wall clock drove the room in between does not matter to a replay.
//! `step` advances a (paused) room to its next event — one delivery or
//! timer — and leaves it paused; `set_speed` takes 0.1 … 2.
//! ```
//! # use shared::protocol::*;
//! for text in [
//!     r#"{"type":"pause"}"#,
//!     r#"{"type":"resume"}"#,
//!     r#"{"type":"set_speed","speed":0.5}"#,
//!     r#"{"type":"step"}"#,
//! ] {
//!     assert!(matches!(parse_client_message(text), Ok(Request::Time(_))), "{text}");
//! }
//! let err = parse_client_message(r#"{"type":"set_speed","speed":5}"#).unwrap_err();
//! assert_eq!(err.code, ErrorCode::InvalidValue);
//! ```
//! Every frame says how the room's clock runs (`paused`, `speed`) and from
//! when its history can be replayed (`history_from_ms`, 0 unless the public
//! room's log was compacted):
//! ```
//! # use shared::protocol::*;
//! let time: TimeView = serde_json::from_str(r#"{"paused":true,"speed":0.5,"history_from_ms":0}"#).unwrap();
//! assert!(time.paused);
//! // A frame from an older server, without it, reads as live at ×1.
//! assert_eq!(TimeView::default(), TimeView { paused: false, speed: 1.0, history_from_ms: 0 });
//! ```
//!
//! Per viewer (any room): `seek` answers *that viewer alone* with the room
//! as it was at `at_ms` (a `past` message holding a full [`Frame`]; live
//! frames keep coming, the client shows whichever it is viewing); `fork`
//! makes a new private room whose log is this one's up to `at_ms` (same
//! seed, so the two are identical until then) and answers `forked` with its
//! id; `export` answers `run` with the room's whole run, which
//! `POST /api/import` (a JSON [`crate::sim::replay::Run`] body, up to 8 MiB)
//! turns into a new room, answering `{"room":"<id>"}`:
//! ```
//! # use shared::protocol::*;
//! assert_eq!(parse_client_message(r#"{"type":"seek","at_ms":12400}"#), Ok(Request::Seek { at_ms: 12400 }));
//! assert_eq!(parse_client_message(r#"{"type":"fork","at_ms":12400}"#), Ok(Request::Fork { at_ms: 12400 }));
//! assert_eq!(parse_client_message(r#"{"type":"export"}"#), Ok(Request::Export));
//! let forked: ServerMessage = serde_json::from_str(r#"{"type":"forked","room":"Xy3","at_ms":12400}"#).unwrap();
//! assert_eq!(forked, ServerMessage::Forked { room: "Xy3".into(), at_ms: 12400, presenter: None });
//! let run: ServerMessage = serde_json::from_str(r#"{"type":"run","run":{"format":1,"seed":7,
//!     "config":{"seed":7,"time_scale":1.0,"strategy":{"kind":"event_push"},"durable":true},
//!     "inputs":[{"at":1200,"command":{"type":"like","args":"tokyo"}},
//!               {"at":3000,"command":{"type":"control","args":{"op":"cut","args":["tokyo","virginia"]}}}],
//!     "until_ms":5000}}"#).unwrap();
//! let ServerMessage::Run { run } = run else { panic!() };
//! assert_eq!((run.inputs.len(), run.until_ms), (2, 5000));
//! assert!(run.validate().is_ok());
//! ```
//! The answer to a seek (abridged; `frame` is a full [`Frame`] whose
//! `sim.now_ms` is `at_ms`):
//! ```json
//! {"type":"past","at_ms":12400,"frame":{"seq":42,"viewers":3,"sim":{"now_ms":12400, ...},
//!  "time":{"paused":false,"speed":1.0,"history_from_ms":0}}}
//! ```
//! # History: what happened between frames
//! A frame is the room *now*; the timeline and the space-time diagram need
//! what happened in between. So a frame's optional `history` holds the
//! events since the previous frame, numbered (`first`) so a viewer whose
//! frames were coalesced sees the gap; a snapshot's holds the room's recent
//! events (up to 256), and a `past` answer's a window from 20 s before to
//! 10 s after its moment. Each message is one event when its story ends,
//! with both ends (`s` sent, `a` landed or vanished; `x` says `lost` or
//! `refused` unless delivered, `d` marks a duplicate's second copy, `m` a
//! delivery that changed the receiver's count, `c` a like's own traffic);
//! `counts` is every region's count (catalog order) and the truth whenever
//! one changes (at most one per 50 ms); `mark` is a control (cut, heal, isolate, heal_all, crash,
//! restart, switch, links, durable, data_type, read_model, payouts). See [`history`] for the bounds.
//! ```
//! # use shared::protocol::history::*;
//! let chunk: HistoryChunk = serde_json::from_str(r#"{"first":120,"from_ms":5000,"to_ms":5033,"events":[
//!   {"e":"like","r":"tokyo","at":5010,"ok":true},
//!   {"e":"counts","at":5010,"v":[1,0,0,0,0,0],"truth":1},
//!   {"e":"msg","f":"tokyo","t":"virginia","s":5010,"a":5010,"l":"like","c":true,"x":"refused"},
//!   {"e":"msg","f":"mumbai","t":"sydney","s":3900,"a":5020,"l":"state","m":true},
//!   {"e":"mark","at":5030,"what":"cut","a":"tokyo","b":"virginia"}]}"#).unwrap();
//! assert_eq!(chunk.next(), 125, "the next frame's events start at 125");
//! assert!(matches!(&chunk.events[2], HistoryEvent::Msg(m) if m.fate == Fate::Refused && m.like));
//! assert!(matches!(&chunk.events[3], HistoryEvent::Msg(m) if m.fate == Fate::Delivered && m.merged && !m.like));
//! ```
//!
//! When a room's stored log cannot be read (a damaged database, an entry
//! this server cannot parse), the room says so with `storage` — after the
//! snapshot on join, and to every like or control it then refuses; other
//! rooms are not affected:
//! ```
//! # use shared::protocol::*;
//! let err: ProtocolError = serde_json::from_str(
//!     r#"{"type":"error","code":"storage","message":"this room's saved history cannot be read: ..."}"#).unwrap();
//! assert_eq!(err.code, ErrorCode::Storage);
//! ```
//!
//! # Versioning
//! [`PROTOCOL_VERSION`] is in every snapshot. It changes when a message
//! changes incompatibly; a client that sees another version than its own
//! must reload instead of misreading frames.

pub mod changes;
pub mod delta;
pub mod history;
pub mod view;

use crate::crdt::{Act, PersonId};
use crate::kernel::network::LinkConditions;
use crate::kernel::Millis;
use crate::region::{LatencyMatrix, RegionId, CATALOG};
use crate::sim::DataType;
use crate::strategy::{EventPush, LastWriterWins, SingleWriter, StrategyConfig, StrategyKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use view::SimView;

/// Bumped on any incompatible change to the messages below (3: delta frames).
pub const PROTOCOL_VERSION: u32 = 3;

/// Largest client message the server reads. Real ones are under 100 bytes;
/// anything bigger is refused with [`ErrorCode::TooLarge`] without parsing.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 1024;

/// The room everyone lands in at `/`.
pub const PUBLIC_ROOM: &str = "public";

/// What a client may ask of the server.
///
/// Likes are open to everyone, and so are `seek`, `fork` and `export`, which
/// change nothing for anyone else. Every other message is a *control* (time
/// controls included): it changes the room for everyone in it, so the server
/// refuses controls in the public room (with [`ErrorCode::Locked`]) and
/// accepts them in private rooms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// A like clicked in `region` (a region id such as `"tokyo"`), by the
    /// person whose id the browser keeps (see [`crate::people`]); without
    /// one, an anonymous clap.
    Like {
        region: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<String>,
    },
    /// The person takes their like back, in `region` (a room of claps
    /// answers `refused`: a clap cannot be taken back).
    Unlike { region: String, person: String },
    /// The person super-likes the post in `region`: a saga that debits a
    /// coin from their wallet, records the super like and pays the author
    /// (see [`crate::sim::sagas`]). Its orchestrator runs in `region`.
    SuperLike { region: String, person: String },
    /// Opens or closes the author's payouts (a lab control; closed, every
    /// super like's credit fails and the saga compensates).
    SetPayouts { open: bool },
    /// Who this viewer is and where they live: the room counts people per
    /// home region. Sent on every (re)connect and when the home changes.
    Hello { person: String, home: String },
    /// What a like is in this room: `"claps"`, `"likes_add_wins"` or
    /// `"likes_remove_wins"`. The likes start over (see
    /// [`crate::sim::Simulation::set_data_type`]).
    SetDataType { data_type: DataType },
    /// How often the "who liked" read model is rebuilt, in simulated ms
    /// (`0`: on every event; at most one minute; see
    /// [`crate::sim::read_model`]).
    SetReadModel { interval_ms: Millis },
    /// Switch the room's replication strategy: `{"type":"set_strategy",
    /// "config":{"kind":"background_sync","interval_ms":5000,"delta":true}}`.
    SetStrategy { config: StrategyConfig },
    /// Give one directed link conditions of its own, which the room-wide
    /// settings no longer touch. Frames list such links in `faults.custom`.
    SetLink { from: String, to: String, conditions: LinkConditions },
    /// Put one directed link back on the room-wide settings (a cut stays cut).
    ResetLink { from: String, to: String },
    /// The room-wide loss and duplication (and jitter, unless `null`), on
    /// every link without conditions of its own.
    SetAllLinks { loss: f64, duplicate: f64, jitter_ms: Option<u32> },
    /// Partition two regions from each other (both directions).
    Cut { a: String, b: String },
    /// Restore the link between two regions.
    Heal { a: String, b: String },
    /// Cut one direction only: `from` can no longer reach `to`.
    CutOneWay { from: String, to: String },
    /// Restore one direction of a link.
    HealOneWay { from: String, to: String },
    /// Cut a region off from every other region.
    Isolate { region: String },
    /// Restore every link.
    HealAll,
    /// Crash a region: it takes no likes and drops what reaches it.
    Crash { region: String },
    /// Bring a crashed region back (recovering from its log if durable).
    Restart { region: String },
    /// Whether a replica keeps a durable log of what it acknowledged.
    SetDurable { durable: bool },
    /// Stop the room's clock (everyone's view); likes are taken at the
    /// paused instant.
    Pause,
    /// Let the wall clock drive the room again.
    Resume,
    /// Simulated seconds per real second, [`MIN_SPEED`] … [`MAX_SPEED`].
    SetSpeed { speed: f64 },
    /// Advance to the next event (one delivery or timer) and stay paused.
    Step,
    /// Show me (only me) the room as it was at `at_ms`.
    Seek { at_ms: Millis },
    /// A new private room whose log is this one's up to `at_ms`.
    Fork { at_ms: Millis },
    /// Send me this room's run (seed, config, timed inputs).
    Export,
    /// I hold this room's presenter token: let this connection change the
    /// room. Sent after every snapshot by a page that holds one (see
    /// [`PresenterView`]).
    Present { token: String },
}

/// Slowest and fastest a room's clock may run.
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 2.0;

/// A client message after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// A like or control: logged, then applied to the room.
    Command(Command),
    /// Who the viewer is (not logged: it changes no replica).
    Hello {
        person: PersonId,
        home: RegionId,
    },
    /// Changes how the room's clock runs (not logged).
    Time(TimeControl),
    Seek {
        at_ms: Millis,
    },
    Fork {
        at_ms: Millis,
    },
    Export,
    /// A presenter token (its characters checked, not yet its room).
    Present {
        token: String,
    },
}

/// How a room's clock runs: validated [`ClientMessage::Pause`] and friends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeControl {
    Pause,
    Resume,
    SetSpeed(f64),
    Step,
}

/// How a room's clock runs, in every frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeView {
    pub paused: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// The earliest simulated time `seek` and `fork` can reach.
    #[serde(default)]
    pub history_from_ms: Millis,
}

impl Default for TimeView {
    fn default() -> Self {
        TimeView { paused: false, speed: 1.0, history_from_ms: 0 }
    }
}

/// A client message after validation: ids resolved, values in range, ready
/// for the room. Serializable, so a room's inputs can be logged and replayed
/// (see [`crate::sim::replay`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "args", rename_all = "snake_case")]
pub enum Command {
    /// An anonymous like: a clap (older logs hold only these).
    Like(RegionId),
    /// A person's like or unlike (or clap) in a region.
    Act {
        region: RegionId,
        act: Act,
    },
    /// A person's super like in a region (a saga).
    SuperLike {
        region: RegionId,
        person: PersonId,
    },
    Control(Control),
}

/// A validated room control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "args", rename_all = "snake_case")]
pub enum Control {
    SetStrategy(StrategyConfig),
    SetLink {
        from: RegionId,
        to: RegionId,
        conditions: LinkConditions,
    },
    ResetLink {
        from: RegionId,
        to: RegionId,
    },
    SetAllLinks {
        loss: f64,
        duplicate: f64,
        jitter_ms: Option<u32>,
    },
    Cut(RegionId, RegionId),
    Heal(RegionId, RegionId),
    /// See [`ClientMessage::CutOneWay`].
    CutOneWay {
        from: RegionId,
        to: RegionId,
    },
    HealOneWay {
        from: RegionId,
        to: RegionId,
    },
    Isolate(RegionId),
    HealAll,
    Crash(RegionId),
    Restart(RegionId),
    SetDurable(bool),
    /// See [`ClientMessage::SetDataType`].
    SetDataType(DataType),
    /// See [`ClientMessage::SetReadModel`].
    SetReadModel(Millis),
    /// See [`ClientMessage::SetPayouts`]: `true` opens them.
    SetPayouts(bool),
}

/// Longest delay, jitter or interval a control may set: one simulated minute.
pub const MAX_CONTROL_MS: u32 = 60_000;

/// Shortest interval a control may set for a periodic job (sync, retry,
/// batch): anything faster would flood the room with timer events.
pub const MIN_INTERVAL_MS: Millis = 100;

/// What the server pushes to a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Snapshot(Snapshot),
    Frame(Frame),
    Error(ProtocolError),
    /// The answer to `seek`, for the viewer who asked.
    Past {
        at_ms: Millis,
        frame: Frame,
    },
    /// The answer to `fork`: the new room's id, and the token that makes
    /// whoever forked it its presenter.
    Forked {
        room: String,
        at_ms: Millis,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        presenter: Option<String>,
    },
    /// The answer to a right `present`: this connection presents.
    Presenting,
    /// The answer to `export`.
    Run {
        run: crate::sim::replay::Run,
    },
}

/// Everything a client needs to draw the room from scratch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub protocol: u32,
    pub room: String,
    /// The shared public room (controls are locked there).
    pub public: bool,
    pub regions: Vec<RegionInfo>,
    /// `latency_ms[a][b]`: one-way delay from region `a` to region `b`, in
    /// catalog order, in simulated ms.
    pub latency_ms: LatencyMatrix,
    /// Every strategy the room can run, with its explanation and default
    /// knobs, so a client can offer the choice without hard-coding it.
    pub strategies: Vec<StrategyDescription>,
    pub frame: Frame,
}

/// A strategy as offered to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyDescription {
    pub kind: StrategyKind,
    pub name: String,
    pub how: String,
    pub guarantee: String,
    pub failure: String,
    pub default_config: StrategyConfig,
}

impl StrategyDescription {
    pub fn all() -> Vec<StrategyDescription> {
        StrategyKind::ALL
            .iter()
            .map(|&kind| {
                let info = kind.info();
                StrategyDescription {
                    kind,
                    name: info.name.into(),
                    how: info.how.into(),
                    guarantee: info.guarantee.into(),
                    failure: info.failure.into(),
                    default_config: StrategyConfig::default_for(kind),
                }
            })
            .collect()
    }
}

/// The room at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Increases with every frame the room publishes.
    pub seq: u64,
    /// People connected to the room.
    pub viewers: u32,
    pub sim: SimView,
    /// How the room's clock runs.
    #[serde(default)]
    pub time: TimeView,
    /// History events: in a frame, those since the previous frame; in a
    /// snapshot, the room's recent ones; in `past`, a window around the
    /// moment (see [`history`]). Absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<history::HistoryChunk>,
    /// People in the room per home region, in catalog order (viewers who
    /// said `hello`; one person in two tabs counts once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<u32>,
    /// Who may change the room; absent in rooms where everyone may (the
    /// public room refuses everyone; see [`PresenterView`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presenter: Option<PresenterView>,
    /// The room's last changes, oldest first (see [`changes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<changes::Change>,
}

/// A room with a presenter: only connections that showed its token (with
/// `present`) may change it; everyone may like, unlike, seek, fork and
/// export.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PresenterView {
    /// Whether a presenter is connected now.
    pub here: bool,
    /// The name of a presenter who is here (the first one who said who
    /// they are, see [`crate::people::name`]); `None` while no presenter
    /// is connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Longest presenter token a client may send (the server issues 22
/// characters).
pub const MAX_TOKEN_LEN: usize = 64;

/// A region as described on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionInfo {
    pub id: RegionId,
    pub city: String,
    pub area: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
}

impl RegionInfo {
    pub fn catalog() -> Vec<RegionInfo> {
        RegionId::all()
            .zip(CATALOG.iter())
            .map(|(id, r)| RegionInfo {
                id,
                city: r.city.into(),
                area: r.area.into(),
                country: r.country.into(),
                lat: r.lat,
                lon: r.lon,
            })
            .collect()
    }
}

/// Why the server did not accept a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a message this protocol knows.
    BadMessage,
    /// Over [`MAX_CLIENT_MESSAGE_BYTES`].
    TooLarge,
    /// A binary frame; the protocol is text only.
    BinaryFrame,
    /// A region id that is not in the catalog.
    UnknownRegion,
    /// Too many messages too fast; the message was not applied.
    RateLimited,
    /// The room's strategy refused the like (e.g. region unavailable).
    Refused,
    /// The room is not taking commands (shutting down, overloaded).
    RoomUnavailable,
    /// A control sent to the public room, whose controls are locked.
    Locked,
    /// A control whose values are out of range.
    InvalidValue,
    /// The room's stored history cannot be read or written.
    Storage,
    /// A person id that is too short, too long, or has characters other
    /// than `A-Z a-z 0-9 _ -`.
    BadPerson,
    /// A control (or time control) from a connection that does not present
    /// a room with a presenter, or a `present` with a wrong token.
    NotPresenter,
}

/// An error answer: a machine-readable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
    /// How many client messages this error answers. Usually 1 (and then
    /// omitted); a server under a flood coalesces refusals into one error
    /// with the total, so even a refused like is never left unaccounted.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ProtocolError { code, message: message.into(), count: 1 }
    }
}

/// Validates one text frame from a client.
pub fn parse_client_message(text: &str) -> Result<Request, ProtocolError> {
    if text.len() > MAX_CLIENT_MESSAGE_BYTES {
        return Err(ProtocolError::new(
            ErrorCode::TooLarge,
            format!("message is {} bytes; the limit is {MAX_CLIENT_MESSAGE_BYTES}", text.len()),
        ));
    }
    let msg: ClientMessage = serde_json::from_str(text).map_err(|e| {
        ProtocolError::new(
            ErrorCode::BadMessage,
            format!("not a valid message ({e}); expected e.g. {{\"type\":\"like\",\"region\":\"tokyo\"}}"),
        )
    })?;
    let control = match msg {
        ClientMessage::Like { region, person: None } => {
            return Ok(Request::Command(Command::Like(region_id(&region)?)))
        }
        ClientMessage::Like { region, person: Some(person) } => {
            let act = Act::Like(person_id(&person)?);
            return Ok(Request::Command(Command::Act { region: region_id(&region)?, act }));
        }
        ClientMessage::Unlike { region, person } => {
            let act = Act::Unlike(person_id(&person)?);
            return Ok(Request::Command(Command::Act { region: region_id(&region)?, act }));
        }
        ClientMessage::Hello { person, home } => {
            return Ok(Request::Hello { person: person_id(&person)?, home: region_id(&home)? })
        }
        ClientMessage::SuperLike { region, person } => {
            let (region, person) = (region_id(&region)?, person_id(&person)?);
            return Ok(Request::Command(Command::SuperLike { region, person }));
        }
        ClientMessage::SetPayouts { open } => Control::SetPayouts(open),
        ClientMessage::SetDataType { data_type } => Control::SetDataType(data_type),
        ClientMessage::SetReadModel { interval_ms } => Control::SetReadModel(interval_ms),
        ClientMessage::Pause => return Ok(Request::Time(TimeControl::Pause)),
        ClientMessage::Resume => return Ok(Request::Time(TimeControl::Resume)),
        ClientMessage::Step => return Ok(Request::Time(TimeControl::Step)),
        ClientMessage::SetSpeed { speed } => {
            if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
                return Err(invalid(format!("speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")));
            }
            return Ok(Request::Time(TimeControl::SetSpeed(speed)));
        }
        ClientMessage::Seek { at_ms } => return Ok(Request::Seek { at_ms }),
        ClientMessage::Fork { at_ms } => return Ok(Request::Fork { at_ms }),
        ClientMessage::Export => return Ok(Request::Export),
        ClientMessage::Present { token } => {
            let ok = (1..=MAX_TOKEN_LEN).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok {
                return Err(ProtocolError::new(ErrorCode::NotPresenter, "that is not a presenter token"));
            }
            return Ok(Request::Present { token });
        }
        ClientMessage::SetStrategy { config } => Control::SetStrategy(config),
        ClientMessage::SetLink { from, to, conditions } => {
            let (from, to) = pair(&from, &to)?;
            Control::SetLink { from, to, conditions }
        }
        ClientMessage::ResetLink { from, to } => pair(&from, &to).map(|(from, to)| Control::ResetLink { from, to })?,
        ClientMessage::SetAllLinks { loss, duplicate, jitter_ms } => {
            Control::SetAllLinks { loss, duplicate, jitter_ms }
        }
        ClientMessage::Cut { a, b } => pair(&a, &b).map(|(a, b)| Control::Cut(a, b))?,
        ClientMessage::Heal { a, b } => pair(&a, &b).map(|(a, b)| Control::Heal(a, b))?,
        ClientMessage::CutOneWay { from, to } => pair(&from, &to).map(|(from, to)| Control::CutOneWay { from, to })?,
        ClientMessage::HealOneWay { from, to } => {
            pair(&from, &to).map(|(from, to)| Control::HealOneWay { from, to })?
        }
        ClientMessage::Isolate { region } => Control::Isolate(region_id(&region)?),
        ClientMessage::HealAll => Control::HealAll,
        ClientMessage::Crash { region } => Control::Crash(region_id(&region)?),
        ClientMessage::Restart { region } => Control::Restart(region_id(&region)?),
        ClientMessage::SetDurable { durable } => Control::SetDurable(durable),
    };
    Ok(Request::Command(Command::Control(validate_control(control)?)))
}

/// Checks a control's values are in range (the ids are resolved already).
/// Used for client messages and for the inputs of an imported run alike.
pub fn validate_control(control: Control) -> Result<Control, ProtocolError> {
    match &control {
        Control::SetStrategy(config) => {
            validate_strategy(config.clone())?;
        }
        Control::SetLink { from, to, conditions } => {
            if from == to {
                return Err(invalid("a link joins two different regions"));
            }
            check_ms("latency_ms", conditions.latency_ms.into(), 1)?;
            check_ms("jitter_ms", conditions.jitter_ms.into(), 0)?;
            check_probability("loss", conditions.loss)?;
            check_probability("duplicate", conditions.duplicate)?;
        }
        Control::ResetLink { from: a, to: b }
        | Control::Cut(a, b)
        | Control::Heal(a, b)
        | Control::CutOneWay { from: a, to: b }
        | Control::HealOneWay { from: a, to: b }
            if a == b =>
        {
            return Err(invalid("a link joins two different regions"));
        }
        Control::SetAllLinks { loss, duplicate, jitter_ms } => {
            check_probability("loss", *loss)?;
            check_probability("duplicate", *duplicate)?;
            if let Some(j) = jitter_ms {
                check_ms("jitter_ms", (*j).into(), 0)?;
            }
        }
        // 0 is allowed: "on every event" costs no timer (see read_model).
        Control::SetReadModel(ms) => check_ms("interval_ms", *ms, 0)?,
        _ => {}
    }
    Ok(control)
}

fn person_id(id: &str) -> Result<PersonId, ProtocolError> {
    crate::people::person_id(id).map_err(|e| ProtocolError::new(ErrorCode::BadPerson, e.to_string()))
}

fn region_id(id: &str) -> Result<RegionId, ProtocolError> {
    RegionId::parse(id).map_err(|e| ProtocolError::new(ErrorCode::UnknownRegion, e.to_string()))
}

fn pair(a: &str, b: &str) -> Result<(RegionId, RegionId), ProtocolError> {
    let (a, b) = (region_id(a)?, region_id(b)?);
    if a == b {
        return Err(invalid("a link joins two different regions"));
    }
    Ok((a, b))
}

fn invalid(message: impl Into<String>) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidValue, message)
}

fn check_probability(name: &str, p: f64) -> Result<(), ProtocolError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(invalid(format!("{name} must be a probability between 0 and 1, got {p}")))
    }
}

/// A delay or interval between `min` and [`MAX_CONTROL_MS`].
fn check_ms(name: &str, ms: Millis, min: Millis) -> Result<(), ProtocolError> {
    if (min..=Millis::from(MAX_CONTROL_MS)).contains(&ms) {
        Ok(())
    } else {
        Err(invalid(format!("{name} must be between {min} and {MAX_CONTROL_MS} ms, got {ms}")))
    }
}

/// The period of a periodic job (sync, retry, batch).
fn check_interval(name: &str, ms: Millis) -> Result<(), ProtocolError> {
    check_ms(name, ms, MIN_INTERVAL_MS)
}

/// Checks a strategy's knobs are in range (regions were checked by serde).
pub fn validate_strategy(config: StrategyConfig) -> Result<StrategyConfig, ProtocolError> {
    match &config {
        StrategyConfig::EventPush { anti_entropy_ms, retry_ms, .. } => {
            if let Some(ms) = anti_entropy_ms {
                check_interval("anti_entropy_ms", *ms)?;
            }
            if let Some(ms) = retry_ms {
                // Re-sending before an ack could come back only adds traffic.
                check_ms("retry_ms", *ms, EventPush::MIN_RETRY_MS)?;
            }
        }
        StrategyConfig::BackgroundSync { interval_ms, .. } => check_interval("interval_ms", *interval_ms)?,
        StrategyConfig::QueueBatch { batch_ms, .. } => check_interval("batch_ms", *batch_ms)?,
        StrategyConfig::LastWriterWins { resend_ms, skew_ms } => {
            if let Some(ms) = resend_ms {
                check_interval("resend_ms", *ms)?;
            }
            if *skew_ms > LastWriterWins::MAX_SKEW_MS {
                return Err(invalid(format!("skew_ms must be at most {} ms", LastWriterWins::MAX_SKEW_MS)));
            }
        }
        StrategyConfig::SingleWriter { timeout_ms, .. } => {
            check_ms("timeout_ms", *timeout_ms, SingleWriter::MIN_TIMEOUT_MS)?
        }
    }
    Ok(config)
}

/// A validated room id: 1 to 64 characters of `[A-Za-z0-9_-]`, so it is safe
/// in a URL path and in logs without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RoomId(String);

/// A room id that breaks the rules above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid room id: it must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'")]
pub struct BadRoomId;

impl RoomId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(id: &str) -> Result<RoomId, BadRoomId> {
        let ok = (1..=Self::MAX_LEN).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(RoomId(id.to_owned()))
        } else {
            Err(BadRoomId)
        }
    }

    pub fn public() -> RoomId {
        RoomId(PUBLIC_ROOM.to_owned())
    }

    pub fn is_public(&self) -> bool {
        self.0 == PUBLIC_ROOM
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimConfig, Simulation};

    #[test]
    fn likes_parse_and_resolve() {
        let tokyo = RegionId::parse("tokyo").unwrap();
        assert_eq!(
            parse_client_message(r#"{"type":"like","region":"tokyo"}"#),
            Ok(Request::Command(Command::Like(tokyo)))
        );
    }

    #[test]
    fn bad_input_gets_a_specific_error() {
        let code = |text: &str| parse_client_message(text).unwrap_err().code;
        assert_eq!(code("not json"), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"explode"}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"like"}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"like","region":7}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"like","region":"tokyo","extra":1}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"type":"like","region":"atlantis"}"#), ErrorCode::UnknownRegion);
        let big = format!(r#"{{"type":"like","region":"{}"}}"#, "x".repeat(2000));
        let err = parse_client_message(&big).unwrap_err();
        assert_eq!(err.code, ErrorCode::TooLarge);
        assert!(err.message.contains("limit is 1024"), "{}", err.message);
    }

    #[test]
    fn unknown_region_error_does_not_echo_unbounded_input() {
        let long = "y".repeat(900);
        let err = parse_client_message(&format!(r#"{{"type":"like","region":"{long}"}}"#)).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownRegion);
        assert!(err.message.len() < 300, "{}", err.message.len());
    }

    #[test]
    fn controls_parse_validate_and_resolve() {
        let r = |id| RegionId::parse(id).unwrap();
        let ok = |text: &str| match parse_client_message(text) {
            Ok(Request::Command(Command::Control(c))) => c,
            other => panic!("{text}: {other:?}"),
        };
        let code = |text: &str| parse_client_message(text).unwrap_err().code;
        assert_eq!(ok(r#"{"type":"cut","a":"tokyo","b":"virginia"}"#), Control::Cut(r("tokyo"), r("virginia")));
        assert_eq!(ok(r#"{"type":"heal_all"}"#), Control::HealAll);
        assert_eq!(ok(r#"{"type":"crash","region":"mumbai"}"#), Control::Crash(r("mumbai")));
        assert_eq!(ok(r#"{"type":"set_durable","durable":false}"#), Control::SetDurable(false));
        assert_eq!(
            ok(r#"{"type":"set_strategy","config":{"kind":"single_writer","leader":"frankfurt"}}"#),
            Control::SetStrategy(StrategyConfig::SingleWriter {
                leader: r("frankfurt"),
                timeout_ms: SingleWriter::DEFAULT_TIMEOUT_MS
            })
        );
        assert!(matches!(
            ok(r#"{"type":"set_all_links","loss":0.2,"duplicate":0.1,"jitter_ms":null}"#),
            Control::SetAllLinks { jitter_ms: None, .. }
        ));
        let link = r#"{"type":"set_link","from":"tokyo","to":"sydney","conditions":{"latency_ms":900,"jitter_ms":100,"loss":0.5,"duplicate":0.0,"cut":false}}"#;
        assert!(matches!(ok(link), Control::SetLink { .. }));
        assert!(matches!(ok(r#"{"type":"reset_link","from":"tokyo","to":"sydney"}"#), Control::ResetLink { .. }));
        assert_eq!(code(r#"{"type":"reset_link","from":"tokyo","to":"tokyo"}"#), ErrorCode::InvalidValue);
        assert_eq!(code(r#"{"type":"reset_link","from":"tokyo","to":"mars"}"#), ErrorCode::UnknownRegion);

        assert_eq!(code(r#"{"type":"cut","a":"tokyo","b":"tokyo"}"#), ErrorCode::InvalidValue);
        assert_eq!(code(r#"{"type":"cut","a":"tokyo","b":"pluto"}"#), ErrorCode::UnknownRegion);
        assert_eq!(
            code(r#"{"type":"set_all_links","loss":1.5,"duplicate":0,"jitter_ms":null}"#),
            ErrorCode::InvalidValue
        );
        assert_eq!(
            code(r#"{"type":"set_all_links","loss":-0.1,"duplicate":0,"jitter_ms":null}"#),
            ErrorCode::InvalidValue
        );
        assert_eq!(code(&link.replace("900", "600000")), ErrorCode::InvalidValue);
        assert_eq!(
            code(r#"{"type":"set_strategy","config":{"kind":"background_sync","interval_ms":5}}"#),
            ErrorCode::InvalidValue
        );
        assert_eq!(code(r#"{"type":"set_strategy","config":{"kind":"teleport"}}"#), ErrorCode::BadMessage);
        // NaN is not valid JSON, so it cannot sneak past the range checks.
        assert_eq!(
            code(r#"{"type":"set_all_links","loss":NaN,"duplicate":0,"jitter_ms":null}"#),
            ErrorCode::BadMessage
        );
    }

    #[test]
    fn every_strategy_default_passes_validation() {
        for d in StrategyDescription::all() {
            assert_eq!(validate_strategy(d.default_config.clone()), Ok(d.default_config));
        }
    }

    #[test]
    fn room_ids() {
        assert!(RoomId::parse("public").unwrap().is_public());
        assert!(RoomId::parse("a").is_ok());
        assert!(RoomId::parse("Ab_9-z").is_ok());
        assert!(RoomId::parse(&"x".repeat(64)).is_ok());
        for bad in ["", "has space", "slash/es", "dot.s", "ümlaut", "%41"] {
            assert_eq!(RoomId::parse(bad), Err(BadRoomId), "{bad:?}");
        }
        assert_eq!(RoomId::parse(&"x".repeat(65)), Err(BadRoomId));
    }

    #[test]
    fn server_messages_round_trip_through_json() {
        let mut sim = Simulation::new(SimConfig::default());
        sim.like(RegionId::parse("tokyo").unwrap(), 100).unwrap();
        let frame = Frame {
            seq: 3,
            viewers: 2,
            sim: sim.view(),
            time: TimeView::default(),
            history: None,
            people: vec![1; 6],
            presenter: Some(PresenterView { here: true, name: Some("Teal Otter".into()) }),
            changes: vec![changes::Change { n: 4, at: 90, text: "Teal Otter crashed Tokyo".into(), times: 2 }],
        };
        let snapshot = ServerMessage::Snapshot(Snapshot {
            protocol: PROTOCOL_VERSION,
            room: "public".into(),
            public: true,
            regions: RegionInfo::catalog(),
            latency_ms: sim.latency().clone(),
            strategies: StrategyDescription::all(),
            frame: frame.clone(),
        });
        for msg in [snapshot, ServerMessage::Frame(frame)] {
            let json = serde_json::to_string(&msg).unwrap();
            let back: ServerMessage = serde_json::from_str(&json).unwrap();
            assert_eq!(back, msg);
        }
        let json = serde_json::to_value(ServerMessage::Frame(Frame {
            seq: 1,
            viewers: 1,
            sim: sim.view(),
            time: TimeView::default(),
            history: None,
            people: Vec::new(),
            presenter: None,
            changes: Vec::new(),
        }))
        .unwrap();
        assert_eq!(json["type"], "frame");
        assert_eq!(json["sim"]["consistency"]["state"], "settling");
        assert_eq!(json["sim"]["replicas"][0]["region"], "tokyo");
    }
}
