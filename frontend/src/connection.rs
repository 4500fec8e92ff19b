//! The one WebSocket between this page and its room, kept alive for as long
//! as the page is open.
//!
//! The server is the single source of truth: it sends a full
//! [`Snapshot`](shared::protocol::Snapshot) on every (re)connect and then
//! frames — a full [`Frame`] first and every 2 s (keyframes), deltas in
//! between (see [`shared::protocol::delta`]). The only state the client
//! holds is the last frame, as JSON, to apply the next delta to; a delta
//! that does not follow on from it (a gap in `seq`) is dropped and the
//! page waits for the next keyframe, so nothing is ever reconciled. That makes reconnecting simple and safe: drop everything,
//! open a new socket, and the next snapshot replaces what we had. Nothing is replayed and nothing can double-count.
//!
//! Reconnects back off exponentially (0.5 s, 1 s, 2 s … capped at 8 s) with
//! jitter (see [`backoff_ms`]), so a server restart is not met by every open
//! tab at the same millisecond. The backoff resets once a snapshot arrives,
//! i.e. once the server has proven it is really back, not merely accepting
//! TCP.
//!
//! **Viewing the past.** A viewer may look at the room as it was (`seek`):
//! `frame` then holds the server's `past` answer and stays there while
//! live frames go on arriving into `live_now` and the history store, until
//! [`Connection::back_to_live`]. Likes and controls are off meanwhile
//! ([`Connection::is_live`] is false): a click would act on the live room
//! the viewer is not looking at.
//!
//! Components see the connection only through read-only signals plus
//! [`Connection::like`] and [`Connection::send`] (any other message, e.g.
//! the lab's controls); the socket itself lives inside one async task.

mod decode;
mod encode;

pub use decode::Named;
pub use encode::string as json_string;

use crate::history::HistoryStore;
use crate::selection::Selection;
use futures::channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures::future::{self, Either};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::kernel::Millis;
use shared::protocol::delta;
use shared::protocol::view::SimView;
use shared::protocol::{
    ClientMessage, ErrorCode, Frame, ProtocolError, RegionInfo, RoomId, ServerMessage, Snapshot, StrategyDescription,
    PROTOCOL_VERSION,
};
use shared::region::{LatencyMatrix, RegionId};
use std::sync::Arc;
use std::time::Duration;

/// Where the connection stands, as the UI should describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The first attempt, nothing received yet.
    Connecting,
    /// A snapshot arrived; frames are flowing.
    Live,
    /// The socket dropped. Waiting `in_secs` before the next attempt, or
    /// attempting right now when it is 0.
    Reconnecting { in_secs: u32 },
    /// The server speaks another protocol version; the connection stopped
    /// for good and the page must be reloaded.
    Outdated { server: u32 },
}

/// The parts of a snapshot that describe the room rather than one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomInfo {
    pub room: String,
    pub public: bool,
    pub regions: Vec<RegionInfo>,
    pub latency_ms: LatencyMatrix,
    /// The strategies this server can run, with their explanations.
    pub strategies: Vec<StrategyDescription>,
}

/// The latest frame and the local time it arrived (`performance.now()`, ms),
/// which is what lets the UI extrapolate the simulated clock between frames.
///
/// The frame is shared, not copied: the live one is held twice (the shown
/// frame and the one to go back to), and a deep copy of a frame with
/// hundreds of messages in flight on every arrival cost time and the code
/// of a derived `Clone` for every frame type (docs/page-weight.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub frame: Arc<Frame>,
    pub at: f64,
}

/// A refusal from the server, numbered so that two identical refusals in a
/// row still count as two notices.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub serial: u64,
    pub code: ErrorCode,
    pub message: String,
    /// How many of our messages it answers (the server coalesces floods).
    pub count: u32,
}

/// A handle on the room's connection. `Copy`, so components take it by value.
#[derive(Clone, Copy)]
pub struct Connection {
    pub status: ReadSignal<Status>,
    pub room: ReadSignal<Option<RoomInfo>>,
    pub frame: ReadSignal<Option<Received>>,
    pub notice: ReadSignal<Option<Notice>>,
    /// The moment this viewer looks at, `None` while live.
    pub viewing: ReadSignal<Option<Millis>>,
    /// The live room's simulated time in the latest live frame.
    pub live_now: ReadSignal<Millis>,
    /// The room's history as streamed so far (bounded).
    pub history: ReadSignal<HistoryStore>,
    /// This connection presents the room (the server said `presenting`).
    pub presenting: ReadSignal<bool>,
    set_viewing: WriteSignal<Option<Millis>>,
    set_frame: WriteSignal<Option<Received>>,
    /// The latest live frame, shown again on [`Connection::back_to_live`].
    live: StoredValue<Option<Received>>,
    outgoing: StoredValue<UnboundedSender<ClientMessage>>,
}

impl Connection {
    /// Connects to `room` on the server that served this page, and keeps
    /// reconnecting until the calling component is disposed.
    pub fn open(room: &RoomId) -> Connection {
        let (status, set_status) = signal(Status::Connecting);
        let (room_info, set_room) = signal(None);
        let (frame, set_frame) = signal(None);
        let (notice, set_notice) = signal(None);
        let (viewing, set_viewing) = signal(None);
        let (live_now, set_live_now) = signal(0);
        let (history, set_history) = signal(HistoryStore::default());
        let (presenting, set_presenting) = signal(false);
        // A presenter link (`?presenter=…`) hands this browser the token.
        crate::presenter::take_token_from_address(room);
        let live = StoredValue::new(None);
        let (tx, rx) = mpsc::unbounded();
        // `?t=12.4` opens the room at that moment: seek once the first
        // snapshot is in.
        let open_at = crate::route::moment_from_query(&window().location().search().unwrap_or_default());
        let writers = Writers {
            status: set_status,
            room: set_room,
            frame: set_frame,
            notice: set_notice,
            viewing: (viewing, set_viewing),
            live_now: set_live_now,
            history: set_history,
            live,
            open_at: std::cell::Cell::new(open_at),
            seek: tx.clone(),
            presenting: set_presenting,
            room_id: room.to_string(),
            showing_token: std::cell::Cell::new(false),
        };
        spawn_local(run(socket_url(room), rx, writers));
        // When the owner is disposed the sender is dropped, the task's receiver
        // ends, and the task closes the socket and stops: no explicit teardown.
        Connection {
            status,
            room: room_info,
            frame,
            notice,
            viewing,
            live_now,
            history,
            presenting,
            set_viewing,
            set_frame,
            live,
            outgoing: StoredValue::new(tx),
        }
    }

    /// Shows this viewer the room as it was at `at_ms` (the server answers
    /// with a `past` frame).
    pub fn seek(&self, at_ms: Millis) {
        self.set_viewing.set(Some(at_ms));
        self.send(ClientMessage::Seek { at_ms });
    }

    /// Back to the live room.
    pub fn back_to_live(&self) {
        self.set_viewing.set(None);
        self.set_frame.set(self.live.get_value());
    }

    /// Sends a like clicked in `region`. Only sent while live: a like clicked
    /// while disconnected is dropped rather than applied minutes later.
    pub fn like(&self, region: RegionId) {
        self.send(ClientMessage::Like { region: region.id().to_owned(), person: None });
    }

    /// Sends a person's like (`like: true`) or unlike in `region`, under
    /// the same rule as [`Connection::like`].
    pub fn act(&self, region: RegionId, person: String, like: bool) {
        let region = region.id().to_owned();
        self.send(if like {
            ClientMessage::Like { region, person: Some(person) }
        } else {
            ClientMessage::Unlike { region, person }
        });
    }

    /// Sends any message (a like, or one of the lab's controls). Same rule
    /// as [`Connection::like`]: only while live, never queued for later,
    /// because a control replayed after a reconnect would surprise whoever
    /// changed the room meanwhile.
    pub fn send(&self, msg: ClientMessage) {
        self.outgoing.with_value(|tx| {
            if tx.unbounded_send(msg).is_err() {
                warn!("message not sent: the connection task has stopped");
            }
        });
    }

    /// A memo of one part of the latest frame's room view (`None` before the
    /// first frame). Components select what they show through this, so a
    /// frame that leaves that part unchanged re-renders nothing. Every
    /// selection is one memo type (see [`Selection`]).
    pub fn select<T>(&self, part: impl Fn(&SimView) -> T + Send + Sync + 'static) -> Selection<T>
    where
        T: PartialEq + Clone + Send + Sync + 'static,
    {
        Selection::new(self.frame, Box::new(part))
    }

    /// Like [`Connection::select`], from the whole frame: for what lies
    /// beside the room view (people, presenter, changes, the clock), so
    /// those too are selections rather than memos of types of their own.
    pub fn select_frame<T>(&self, part: impl Fn(&Frame) -> T + Send + Sync + 'static) -> Selection<T>
    where
        T: PartialEq + Clone + Send + Sync + 'static,
    {
        Selection::of_frame(self.frame, Box::new(part))
    }

    /// Whether the page is in step with the live room: connected, and not
    /// looking at the past. Likes and controls are enabled only then.
    pub fn is_live(&self) -> bool {
        self.status.get() == Status::Live && self.viewing.get().is_none()
    }
}

/// The write ends of the connection's signals, owned by the task.
struct Writers {
    status: WriteSignal<Status>,
    room: WriteSignal<Option<RoomInfo>>,
    frame: WriteSignal<Option<Received>>,
    notice: WriteSignal<Option<Notice>>,
    viewing: (ReadSignal<Option<Millis>>, WriteSignal<Option<Millis>>),
    live_now: WriteSignal<Millis>,
    history: WriteSignal<HistoryStore>,
    live: StoredValue<Option<Received>>,
    /// The `?t=` moment, until the first snapshot has used it.
    open_at: std::cell::Cell<Option<Millis>>,
    /// Our own outgoing queue, to seek (and present) after a snapshot.
    seek: UnboundedSender<ClientMessage>,
    presenting: WriteSignal<bool>,
    /// The room's id, to find its presenter token.
    room_id: String,
    /// A `present` is on its way: its refusal means the token is wrong.
    showing_token: std::cell::Cell<bool>,
}

impl Writers {
    /// Sets the status; `false` once the signals are disposed, which tells
    /// the task its page is gone.
    fn status(&self, status: Status) -> bool {
        self.status.try_update(|s| *s = status).is_some()
    }
}

/// `ws://host/ws/room`, or `wss://` when the page itself came over HTTPS
/// (browsers refuse plain WebSockets from secure pages).
fn socket_url(room: &RoomId) -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}/ws/{room}")
}

/// Delay before reconnect attempt number `attempt` (0-based), given a
/// uniform random number in `[0, 1)`.
///
/// The nominal delay doubles from 0.5 s up to a cap of 8 s; the actual one
/// is 75–100 % of it. The fixed part keeps a dead server from being
/// hammered, the random part spreads a crowd of tabs out, and the result
/// never exceeds the cap.
pub fn backoff_ms(attempt: u32, random: f64) -> u64 {
    const FIRST_MS: u64 = 500;
    const CAP_MS: u64 = 8_000;
    let nominal = FIRST_MS.saturating_mul(1u64 << attempt.min(16)).min(CAP_MS);
    // NaN (which `clamp` passes through) counts as 0.
    let random = if random.is_nan() { 0.0 } else { random.clamp(0.0, 1.0) };
    nominal * 3 / 4 + (nominal as f64 / 4.0 * random) as u64
}

/// How a session on one socket ended.
enum Ended {
    /// The socket closed or failed; `synced` if a snapshot had arrived.
    Dropped { synced: bool },
    /// The server runs another protocol version: stop for good.
    Outdated,
    /// The page disposed the connection: stop quietly.
    Stopped,
}

/// The connection's whole life: sessions separated by backoff pauses.
async fn run(url: String, mut outgoing: UnboundedReceiver<ClientMessage>, writers: Writers) {
    let mut attempt = 0;
    // Numbers refusals across sessions, so every notice is distinct.
    let mut notices = 0u64;
    loop {
        match session(&url, &mut outgoing, &writers, &mut notices).await {
            Ended::Outdated | Ended::Stopped => return,
            Ended::Dropped { synced } => {
                if synced {
                    attempt = 0;
                }
            }
        }
        let delay = backoff_ms(attempt, js_sys::Math::random());
        attempt = attempt.saturating_add(1);
        if !countdown(delay, &writers).await {
            return;
        }
    }
}

/// Waits `delay_ms`, showing the remaining whole seconds as it goes.
/// Returns `false` if the page went away meanwhile.
async fn countdown(delay_ms: u64, writers: &Writers) -> bool {
    let mut left = delay_ms;
    while left > 0 {
        if !writers.status(Status::Reconnecting { in_secs: left.div_ceil(1_000) as u32 }) {
            return false;
        }
        // Wake at the next whole-second boundary so the countdown text
        // changes exactly when its number does.
        let step = match left % 1_000 {
            0 => 1_000,
            rem => rem,
        };
        gloo_timers::future::sleep(Duration::from_millis(step)).await;
        left -= step.min(left);
    }
    writers.status(Status::Reconnecting { in_secs: 0 })
}

/// One socket, from opening until it drops.
///
/// The socket is not split into a stream and a sink: each turn waits for
/// whichever comes first, a message from the server or one of ours, and
/// the wait (and its borrow of the socket) is over before ours is sent.
/// Split halves shared the socket behind a lock, and `select!` polled them
/// in a random order: both were code the page downloaded for nothing
/// (docs/page-weight.md).
async fn session(
    url: &str,
    outgoing: &mut UnboundedReceiver<ClientMessage>,
    writers: &Writers,
    notices: &mut u64,
) -> Ended {
    let mut socket = match WebSocket::open(url) {
        Ok(socket) => socket,
        Err(e) => {
            warn!("cannot open {url}: {e}");
            return Ended::Dropped { synced: false };
        }
    };
    // Messages queued while we were away are stale: drop them (see `like`).
    while outgoing.try_recv().is_ok() {}
    let mut synced = false;
    // The last full frame, `{"type":"frame",…}`, that deltas apply to.
    let mut held: Option<serde_json::Value> = None;
    loop {
        // Ours first: a person clicks a handful of times, while the server
        // may have frames queued, which must not keep a click waiting.
        let turn = match future::select(outgoing.next(), socket.next()).await {
            Either::Left((ours, _)) => Either::Left(ours),
            Either::Right((incoming, _)) => Either::Right(incoming),
        };
        match turn {
            Either::Right(Some(Ok(Message::Text(text)))) => {
                if let Some(ended) = received(&text, &mut held, writers, &mut synced, notices) {
                    return ended;
                }
            }
            Either::Right(Some(Ok(Message::Bytes(bytes)))) => warn!("ignoring {} bytes of binary data", bytes.len()),
            Either::Right(Some(Err(e))) => {
                warn!("connection lost: {e}");
                return Ended::Dropped { synced };
            }
            Either::Right(None) => return Ended::Dropped { synced },
            Either::Left(Some(msg)) if synced => {
                if let Err(e) = socket.send(Message::Text(encode::encode(&msg))).await {
                    warn!("send failed: {e}");
                    return Ended::Dropped { synced };
                }
            }
            Either::Left(Some(_)) => {} // not yet in step with the server: drop, as above
            Either::Left(None) => return Ended::Stopped,
        }
    }
}

/// Handles one text message from the server. `Some` ends the session.
// Nothing here waits, so it is a plain function. Inlined into the session
// all the same: as a call it came to 0.3 KB more gzipped wasm (measured;
// `decode`, `apply` and `encode` stay calls, see `decode`).
#[inline(always)]
fn received(
    text: &str,
    held: &mut Option<serde_json::Value>,
    writers: &Writers,
    synced: &mut bool,
    notices: &mut u64,
) -> Option<Ended> {
    match decode(text, held) {
        Ok(None) => None,
        Ok(Some(Incoming::Run(run))) => {
            crate::run_file::download(&run);
            None
        }
        Ok(Some(Incoming::Message(msg))) => apply(msg, writers, synced, notices),
        Err(e) => match foreign_snapshot_version(text) {
            // A newer server's snapshot may not even decode as ours: its
            // version field is what must be believed.
            Some(server) => {
                writers.status(Status::Outdated { server });
                Some(Ended::Outdated)
            }
            // A frame we cannot read is skipped, not fatal: the next one
            // carries the whole state again.
            None => {
                warn!("ignoring unreadable message ({e}): {}", preview(text));
                None
            }
        },
    }
}

/// One decoded server message: any [`ServerMessage`] but `run`, which the
/// page only saves to a file and so keeps as the JSON it came in.
// One lives on the stack for the time it takes to apply it; boxing the
// large variant would cost an allocation per frame for nothing.
#[allow(clippy::large_enum_variant)]
enum Incoming {
    Message(ServerMessage),
    /// The answer to `export`: the run, as sent.
    Run(serde_json::Value),
}

/// Decodes one server message. Every message is parsed into a JSON value
/// first and then read into its type by [`decode`]'s hand-written readers
/// (serde's derived decoders for the frame types were a tenth of the wasm;
/// docs/page-weight.md). A delta is applied to the held frame and comes
/// out as the [`ServerMessage::Frame`] it makes; one that does not follow on
/// from the held frame gives `None`, and deltas are ignored until the next
/// keyframe.
///
/// The `type` tag picks the payload's own type here; the `run` answer (a
/// whole input log with every kind of control) is not decoded at all
/// (docs/page-weight.md).
// Not inlined into the session's async body (nor are `apply` and
// `encode::encode`): compiled there, the three came to 0.7 KB more gzipped
// wasm than as calls (docs/page-weight.md).
#[inline(never)]
fn decode(text: &str, held: &mut Option<serde_json::Value>) -> Result<Option<Incoming>, decode::Error> {
    use decode::{FromJson, Obj};
    let value: serde_json::Value = serde_json::from_str(text)?;
    let message = match value.get("type").and_then(serde_json::Value::as_str) {
        Some("delta") => {
            let Some(frame) = held.as_mut() else { return Ok(None) };
            if let Err(gap) = delta::apply_frame_delta_owned(frame, value) {
                warn!("waiting for the next full frame: {gap}");
                *held = None;
                return Ok(None);
            }
            ServerMessage::Frame(Frame::from_json(frame)?)
        }
        Some("frame") => {
            let frame = Frame::from_json(&value)?;
            *held = Some(value);
            ServerMessage::Frame(frame)
        }
        Some("snapshot") => {
            // The next frame is sent whole (the snapshot's frame is not
            // one a delta is made against).
            *held = None;
            ServerMessage::Snapshot(Snapshot::from_json(&value)?)
        }
        Some("error") => ServerMessage::Error(ProtocolError::from_json(&value)?),
        Some("past") => {
            let o = Obj::new(&value)?;
            ServerMessage::Past { at_ms: o.get("at_ms")?, frame: o.get("frame")? }
        }
        Some("forked") => {
            let o = Obj::new(&value)?;
            ServerMessage::Forked { room: o.get("room")?, at_ms: o.get("at_ms")?, presenter: o.get("presenter")? }
        }
        Some("presenting") => ServerMessage::Presenting,
        Some("run") => {
            let mut value = value;
            return Ok(Some(Incoming::Run(value.get_mut("run").map(serde_json::Value::take).unwrap_or_default())));
        }
        other => {
            warn!("ignoring a message of unknown type \"{}\"", other.unwrap_or("(none)"));
            return Ok(None);
        }
    };
    Ok(Some(Incoming::Message(message)))
}

/// Fails to compile when `ServerMessage` gains a variant, pointing here:
/// [`decode`] names every message type by hand, so a new one must be added
/// there (and to [`apply`]) or the page would ignore it.
#[allow(dead_code)]
fn every_message_type_is_decoded(msg: &ServerMessage) {
    match msg {
        ServerMessage::Snapshot(_)
        | ServerMessage::Frame(_)
        | ServerMessage::Error(_)
        | ServerMessage::Past { .. }
        | ServerMessage::Forked { .. }
        | ServerMessage::Presenting
        | ServerMessage::Run { .. } => {}
    }
}

/// Applies one server message to the signals. `Some` ends the session.
// Not inlined into the session's async body: see `decode`.
#[inline(never)]
fn apply(msg: ServerMessage, writers: &Writers, synced: &mut bool, notices: &mut u64) -> Option<Ended> {
    let now = crate::clock::perf_now();
    match msg {
        ServerMessage::Snapshot(snapshot) => {
            if snapshot.protocol != PROTOCOL_VERSION {
                writers.status(Status::Outdated { server: snapshot.protocol });
                return Some(Ended::Outdated);
            }
            let info = RoomInfo {
                room: snapshot.room,
                public: snapshot.public,
                regions: snapshot.regions,
                latency_ms: snapshot.latency_ms,
                strategies: snapshot.strategies,
            };
            // The room info rarely changes; skipping equal values spares every
            // view that depends on it a re-render on each reconnect.
            writers.room.try_maybe_update(|r| {
                let changed = r.as_ref() != Some(&info);
                if changed {
                    *r = Some(info);
                }
                (changed, ())
            });
            let mut frame = snapshot.frame;
            let chunk = frame.history.take();
            writers.history.try_update(|h| h.reset(chunk, &frame.sim));
            writers.live_now.try_set(frame.sim.now_ms);
            let received = Received { frame: Arc::new(frame), at: now };
            writers.live.try_set_value(Some(received.clone()));
            // A reconnect ends a look at the past: the answer went with the
            // old socket. A `?t=` link seeks once, on the first snapshot.
            writers.viewing.1.try_set(None);
            writers.frame.try_set(Some(received));
            if let Some(at_ms) = writers.open_at.take() {
                writers.viewing.1.try_set(Some(at_ms));
                let _ = writers.seek.unbounded_send(ClientMessage::Seek { at_ms });
            }
            // Every snapshot starts a new viewer on the server (a reconnect,
            // or a cluster handover): show the token again, if we hold one.
            writers.presenting.try_set(false);
            if let Some(token) = crate::presenter::token_for(&writers.room_id) {
                writers.showing_token.set(true);
                let _ = writers.seek.unbounded_send(ClientMessage::Present { token });
            }
            *synced = true;
            (!writers.status(Status::Live)).then_some(Ended::Stopped)
        }
        ServerMessage::Frame(frame) => {
            // Frames before the snapshot would have no room to belong to.
            if *synced {
                let mut frame = frame;
                let chunk = frame.history.take();
                writers.history.try_update(|h| h.append(chunk, &frame.sim));
                writers.live_now.try_set(frame.sim.now_ms);
                let received = Received { frame: Arc::new(frame), at: now };
                if writers.viewing.0.try_get_untracked().flatten().is_none() {
                    writers.frame.try_set(Some(received.clone()));
                }
                writers.live.try_set_value(Some(received));
            }
            None
        }
        ServerMessage::Past { frame, .. } => {
            // An answer that comes after "back to live" is stale.
            if writers.viewing.0.try_get_untracked().flatten().is_some() {
                let mut frame = frame;
                let window = frame.history.take();
                writers.history.try_update(|h| h.window = window);
                writers.frame.try_set(Some(Received { frame: Arc::new(frame), at: now }));
            }
            None
        }
        ServerMessage::Forked { room, presenter, .. } => {
            // Whoever forks presents the fork.
            if let Some(token) = presenter {
                crate::presenter::keep_token(&room, &token);
            }
            // Land in the new room (a real navigation, as for New room).
            let _ = window().location().set_href(&format!("/r/{room}"));
            None
        }
        ServerMessage::Presenting => {
            writers.showing_token.set(false);
            writers.presenting.try_set(true);
            None
        }
        // Decoded as `Incoming::Run` instead (see `decode`).
        ServerMessage::Run { .. } => None,
        ServerMessage::Error(ProtocolError { code, message, count }) => {
            // A token this room does not take is forgotten (shown once).
            if code == ErrorCode::NotPresenter && writers.showing_token.replace(false) {
                crate::presenter::forget_token(&writers.room_id);
            }
            *notices += 1;
            writers.notice.try_set(Some(Notice { serial: *notices, code, message, count }));
            None
        }
    }
}

/// The protocol version of a snapshot that did not decode, if it is not
/// ours. Reads only the two fields every protocol version keeps.
fn foreign_snapshot_version(text: &str) -> Option<u32> {
    let probe: serde_json::Value = serde_json::from_str(text).ok()?;
    if probe.get("type")?.as_str()? != "snapshot" {
        return None;
    }
    let version = u32::try_from(probe.get("protocol")?.as_u64()?).ok()?;
    (version != PROTOCOL_VERSION).then_some(version)
}

/// The start of a message, for logs that should not echo megabytes.
fn preview(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_to_eight() {
        let slowest: Vec<u64> = (0..7).map(|n| backoff_ms(n, 1.0)).collect();
        assert_eq!(slowest, [500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        assert_eq!(backoff_ms(0, 0.0), 375);
        assert_eq!(backoff_ms(3, 0.0), 3_000);
        assert_eq!(backoff_ms(u32::MAX, 0.5), 7_000);
    }

    #[test]
    fn a_foreign_snapshot_is_recognised_even_when_it_does_not_decode() {
        let future = r#"{"type":"snapshot","protocol":99,"shape":"unknown to us"}"#;
        assert_eq!(foreign_snapshot_version(future), Some(99));
        let ours = format!(r#"{{"type":"snapshot","protocol":{PROTOCOL_VERSION},"broken":true}}"#);
        assert_eq!(foreign_snapshot_version(&ours), None, "our version but unreadable: just skip it");
        assert_eq!(foreign_snapshot_version(r#"{"type":"frame","seq":1}"#), None);
        assert_eq!(foreign_snapshot_version("not json"), None);
    }

    #[test]
    fn deltas_apply_to_the_held_frame_and_a_gap_waits_for_a_keyframe() {
        use shared::sim::{SimConfig, Simulation};
        let sim = Simulation::new(SimConfig::default());
        let frame = |seq, viewers| {
            serde_json::to_value(ServerMessage::Frame(Frame {
                seq,
                viewers,
                sim: sim.view(),
                time: Default::default(),
                history: None,
                people: Vec::new(),
                presenter: None,
                changes: Vec::new(),
            }))
            .unwrap()
        };
        let seq_of = |msg: Option<Incoming>| match msg {
            Some(Incoming::Message(ServerMessage::Frame(f))) => Some((f.seq, f.viewers)),
            _ => None,
        };
        let mut held = None;
        let delta = |a, b| delta::frame_delta(&a, &b).unwrap().to_string();
        // A delta before any keyframe has nothing to apply to.
        assert_eq!(seq_of(decode(&delta(frame(1, 1), frame(2, 2)), &mut held).unwrap()), None);
        assert_eq!(seq_of(decode(&frame(1, 1).to_string(), &mut held).unwrap()), Some((1, 1)));
        assert_eq!(seq_of(decode(&delta(frame(1, 1), frame(2, 2)), &mut held).unwrap()), Some((2, 2)));
        // Frame 3 never came: the delta to 4 is dropped, and so is every
        // delta until the next keyframe.
        assert_eq!(seq_of(decode(&delta(frame(3, 3), frame(4, 4)), &mut held).unwrap()), None);
        assert_eq!(seq_of(decode(&delta(frame(4, 4), frame(5, 5)), &mut held).unwrap()), None);
        assert_eq!(seq_of(decode(&frame(6, 6).to_string(), &mut held).unwrap()), Some((6, 6)));
        assert_eq!(seq_of(decode(&delta(frame(6, 6), frame(7, 1)), &mut held).unwrap()), Some((7, 1)));
    }

    /// `decode` names the message types by hand (not through
    /// `ServerMessage`'s derived decoder): every message the server encodes
    /// must come out exactly as it went in, and a run as its JSON.
    #[test]
    fn every_server_message_decodes_as_the_server_encoded_it() {
        use shared::protocol::TimeView;
        use shared::protocol::{Command, ErrorCode};
        use shared::sim::replay::{Input, Run, RUN_FORMAT};
        use shared::sim::{SimConfig, Simulation};
        let mut sim = Simulation::new(SimConfig::default());
        let tokyo = RegionId::parse("tokyo").unwrap();
        sim.like(tokyo, 100).unwrap();
        let frame = Frame {
            seq: 3,
            viewers: 2,
            sim: sim.view(),
            time: TimeView::default(),
            history: None,
            people: vec![1; 6],
            presenter: Some(shared::protocol::PresenterView { here: true, name: Some("Teal Otter".into()) }),
            changes: vec![shared::protocol::changes::Change {
                n: 1,
                at: 80,
                text: "Teal Otter cut Tokyo ⇄ Virginia".into(),
                times: 1,
            }],
        };
        let messages = [
            ServerMessage::Snapshot(Snapshot {
                protocol: PROTOCOL_VERSION,
                room: "public".into(),
                public: true,
                regions: RegionInfo::catalog(),
                latency_ms: sim.latency().clone(),
                strategies: StrategyDescription::all(),
                frame: frame.clone(),
            }),
            ServerMessage::Frame(frame.clone()),
            ServerMessage::Error(ProtocolError { code: ErrorCode::Locked, message: "locked".into(), count: 2 }),
            ServerMessage::Past { at_ms: 1_200, frame },
            ServerMessage::Forked { room: "abc".into(), at_ms: 900, presenter: None },
            ServerMessage::Forked { room: "abd".into(), at_ms: 900, presenter: Some("Qm7rT2xkP9aLw3Zc8VbN4d".into()) },
            ServerMessage::Presenting,
            // Every optional part present, every enum case somewhere (see
            // `decode::tests`, which also checks broken values against serde).
            ServerMessage::Frame(decode::tests::rich_frame()),
            ServerMessage::Past { at_ms: 40, frame: decode::tests::rich_frame() },
            ServerMessage::Error(ProtocolError { code: ErrorCode::NotPresenter, message: "no".into(), count: 1 }),
        ];
        for msg in messages {
            let text = serde_json::to_string(&msg).unwrap();
            match decode(&text, &mut None) {
                Ok(Some(Incoming::Message(back))) => assert_eq!(back, msg),
                _ => panic!("did not decode: {text}"),
            }
        }
        let run = Run {
            format: RUN_FORMAT,
            seed: 7,
            config: SimConfig::default(),
            inputs: vec![Input { at: 100, command: Command::Like(tokyo) }],
            until_ms: 2_000,
        };
        let text = serde_json::to_string(&ServerMessage::Run { run: run.clone() }).unwrap();
        match decode(&text, &mut None) {
            Ok(Some(Incoming::Run(json))) => assert_eq!(json, serde_json::to_value(&run).unwrap()),
            _ => panic!("the run did not come out as its JSON: {text}"),
        }
        assert!(matches!(decode(r#"{"type":"from_the_future"}"#, &mut None), Ok(None)));
        assert!(decode(r#"{"type":"frame","seq":"x"}"#, &mut None).is_err());
    }

    #[test]
    fn jitter_is_bounded_even_for_bad_random_input() {
        assert_eq!(backoff_ms(1, f64::NAN), 750);
        assert_eq!(backoff_ms(1, 7.0), 1_000);
        assert_eq!(backoff_ms(1, -1.0), 750);
    }
}
