//! One viewer's WebSocket: a reader loop and a writer task.
//!
//! The socket is split in two. The **writer task** owns the sending half: it
//! sends the snapshot, then whatever is newest in the room's frame channel,
//! plus any error addressed to this viewer. The **reader loop** owns the
//! receiving half: it validates each message, rate-limits likes, and forwards
//! them to the room without waiting for the room.
//!
//! Likes and controls are rate-limited twice, with `governor`: per connection
//! (so one tab cannot use up its neighbours' share) and per client address
//! (see `limits`, so many tabs cannot multiply the flood). A refusal by
//! either is a `rate_limited` error; under a flood, refusals are summed into
//! one error with a `count`, so every like is either counted or reported.
//!
//! Neither half can hold anyone else up:
//! - frames come from a `watch` channel, so a viewer that reads slowly just
//!   skips to the latest frame — sent whole, since the delta in the channel
//!   is against a frame this viewer never got;
//! - each send has a deadline; a viewer that stops reading altogether is
//!   disconnected once its socket buffer is full and the deadline passes;
//! - bad input is answered with an error message and the loop carries on.
//!
//! **Liveness.** A connection can die without a word (a laptop lid closed, a
//! phone leaving coverage, a NAT forgetting the mapping): no FIN, no error,
//! just silence, and the server would hold its viewer slot and push frames
//! into the void for as long as TCP retransmits. So the writer sends a ping
//! every `ping_interval` (20 s: under the 60 s idle timeouts common in
//! proxies and NATs, which the traffic also keeps open), and the reader
//! closes the connection (1001 and a reason) once nothing at all — a pong,
//! a like, anything — arrived for `idle_timeout` (60 s: three pings missed).
//! Browsers answer pings by themselves; the page need do nothing.

use crate::limits::ConnectionSlot;
use crate::room::{Joined, Published, RoomCommand, RoomHandle};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use shared::protocol::{parse_client_message, Command, ErrorCode, ProtocolError, Request, ServerMessage};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// Per-connection limits.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Sustained likes (and controls) per second one connection may send.
    pub likes_per_second: u32,
    /// How many may come at once, on top of nothing used for a while.
    pub like_burst: u32,
    /// How long one send may take before the viewer is dropped as stuck.
    pub send_timeout: Duration,
    /// How often the server pings.
    pub ping_interval: Duration,
    /// How long a connection may stay silent (no frame at all, pongs
    /// included) before it is closed.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            likes_per_second: 20,
            like_burst: 40,
            send_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The per-connection like budget: `rate` a second, `burst` at once. A rate
/// of 0 is taken as 1: a connection that may never like is not a setting.
pub fn like_quota(rate: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
}

/// Both budgets a like must fit in.
struct LikeBudget {
    connection: DefaultDirectRateLimiter,
    address: ConnectionSlot,
}

impl LikeBudget {
    fn allow(&self) -> bool {
        // Per connection first: a refused like then does not use up the
        // address's budget, which the connection's neighbours share.
        self.connection.check().is_ok() && self.address.allow_like()
    }
}

/// Serves one viewer until it disconnects, gets stuck, or the server stops.
/// `slot` is the connection's claim on its address's budget, given back
/// when this returns.
pub async fn serve(
    socket: WebSocket,
    joined: Joined,
    slot: ConnectionSlot,
    limits: ConnectionLimits,
    shutdown: watch::Receiver<bool>,
) {
    let Joined { viewer, snapshot, frames, direct, replies, membership } = joined;
    let room = membership.room.clone();
    let (sink, mut stream) = socket.split();
    // Replies go into the viewer's `direct` queue, already serialized: a
    // queue of `ServerMessage`s would cost every viewer ~54 KB of address
    // space up front (tokio allocates a channel's first block of 32 slots
    // when it is made, and a `ServerMessage` is ~1.7 KB, a frame inline).
    // The close request is a oneshot for the same reason: a few bytes, not
    // a channel's block.

    let (close, close_rx) = oneshot::channel::<(u16, &'static str)>();
    let mut close = Some(close);
    let writer = Writer {
        frames,
        last_seq: None,
        direct,
        close: close_rx,
        shutdown,
        send_timeout: limits.send_timeout,
        ping_interval: limits.ping_interval,
    };
    let mut writer = tokio::spawn(writer.run(sink, snapshot));

    let budget = LikeBudget {
        connection: RateLimiter::direct(like_quota(limits.likes_per_second, limits.like_burst)),
        address: slot,
    };
    let describe_limit = match budget.address.likes_per_second() {
        0 => format!("{} per second per connection", limits.likes_per_second),
        n => format!("{} per second per connection, {n} per address", limits.likes_per_second),
    };
    // Likes refused by the rate limit but not yet reported. Under a flood the
    // reply queue fills up; rather than drop those reports, they are summed
    // and sent as one error with a count as soon as there is room.
    let mut unreported_refusals: u32 = 0;
    let silence = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(silence);
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(msg)) => {
                    // Any frame at all, a pong or a bad message too, proves
                    // the client is there.
                    silence.as_mut().reset(Instant::now() + limits.idle_timeout);
                    match handle_message(msg, &room, viewer, &budget) {
                        None => {}
                        Some(err) if err.code == ErrorCode::RateLimited => unreported_refusals += 1,
                        // Other bad input changed nothing; if the client
                        // floods us with it, it does not get an unbounded
                        // queue of errors back.
                        Some(err) => {
                            let _ = replies.try_send(encode(&ServerMessage::Error(err)));
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(viewer, error = %e, "websocket read failed");
                    // A message over the size limit, or a text frame that
                    // is not UTF-8, breaks the WebSocket protocol itself:
                    // the connection ends (RFC 6455 §7.1.7), but with the
                    // close code and reason that say why, not a bare drop
                    // (which a browser reports as 1006, no reason).
                    if let Some((code, reason)) = violation(e) {
                        if close.take().is_some_and(|c| c.send((code, reason)).is_ok()) {
                            let _ = tokio::time::timeout(limits.send_timeout, &mut writer).await;
                        }
                    }
                    break;
                }
                None => break,
            },
            Ok(permit) = replies.reserve(), if unreported_refusals > 0 => {
                permit.send(encode(&ServerMessage::Error(rate_limited(unreported_refusals, &describe_limit))));
                unreported_refusals = 0;
            }
            // The writer ends on shutdown, a stuck client, or a closed socket.
            _ = &mut writer => break,
            () = &mut silence => {
                tracing::info!(viewer, "closing a connection silent for {:?}", limits.idle_timeout);
                if close.take().is_some_and(|c| c.send((1001, "no answer to pings; closing the connection")).is_ok()) {
                    // Let the writer send the close frame, within its deadline.
                    let _ = tokio::time::timeout(limits.send_timeout, &mut writer).await;
                    // Then read (and drop) until the client's closing reply,
                    // briefly: closing the socket with unread input would
                    // reset the connection, and a client that wakes up now
                    // would lose the close frame and its reason.
                    let linger = limits.send_timeout.min(Duration::from_secs(2));
                    let _ = tokio::time::timeout(linger, async { while let Some(Ok(_)) = stream.next().await {} }).await;
                }
                break;
            }
        }
    }
    writer.abort();
    // Dropping the membership guard tells the room we left; dropping the
    // budget gives the address its connection slot back.
    drop(membership);
    drop(budget);
}

/// Applies one incoming message; returns the error to report, if any.
fn handle_message(msg: Message, room: &RoomHandle, viewer: u64, budget: &LikeBudget) -> Option<ProtocolError> {
    let text = match msg {
        Message::Text(text) => text,
        Message::Binary(_) => {
            return Some(ProtocolError::new(ErrorCode::BinaryFrame, "binary frames are not supported; send JSON text"))
        }
        // Pings are answered by the protocol layer; close ends the stream.
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => return None,
    };
    let command = match parse_client_message(text.as_str()) {
        Ok(command) => command,
        Err(err) => return Some(err),
    };
    // Likes and controls share one budget: either can be used to flood.
    if !budget.allow() {
        // The reader loop only counts these; the text is written there.
        return Some(rate_limited(1, ""));
    }
    match command {
        Request::Command(Command::Like(region)) => room.like(viewer, region).err(),
        Request::Command(Command::Act { region, act }) => room.act(viewer, region, act).err(),
        Request::Command(Command::SuperLike { region, person }) => room.super_like(viewer, region, person).err(),
        Request::Hello { person, home } => room.ask(RoomCommand::Hello { viewer, person, home }).err(),
        Request::Command(Command::Control(control)) => room.control(viewer, control).err(),
        Request::Time(control) => room.ask(RoomCommand::Time { viewer, control }).err(),
        Request::Seek { at_ms } => room.ask(RoomCommand::Seek { viewer, at_ms }).err(),
        Request::Fork { at_ms } => {
            // A fork starts a new private room (a task and a simulation
            // that outlive the connection), so it spends the address's
            // new-room budget like `POST /api/rooms`; without this one
            // connection could fill the server's room cap at the like rate.
            // Counted before the room answers: a fork the room then refuses
            // (compacted history) still used it, as a New room refused for a
            // full server does.
            if let Err(refused) = budget.address.allow_new_room() {
                return Some(ProtocolError::new(
                    ErrorCode::RoomUnavailable,
                    format!("{refused}; the room was not forked"),
                ));
            }
            room.ask(RoomCommand::Fork { viewer, at_ms }).err()
        }
        Request::Export => room.ask(RoomCommand::Export { viewer }).err(),
        Request::Present { token } => room.ask(RoomCommand::Present { viewer, token }).err(),
    }
}

/// The close code and reason for a read error that is the client's doing:
/// 1009 for a message over [`crate::app::MAX_WS_MESSAGE_BYTES`], 1007 for a
/// text frame that is not UTF-8. `None` for anything else (a reset
/// connection has no one left to tell).
fn violation(error: axum::Error) -> Option<(u16, &'static str)> {
    // The reason below names the limit.
    const _: () = assert!(crate::app::MAX_WS_MESSAGE_BYTES == 64 * 1024);
    use tungstenite::error::{CapacityError, Error};
    match error.into_inner().downcast_ref::<Error>()? {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((1009, "message too big: a WebSocket message may be at most 64 KiB (client messages are under 1 KiB)"))
        }
        Error::Utf8(_) => Some((1007, "a text frame must be valid UTF-8 (send JSON text)")),
        _ => None,
    }
}

/// A message as the text frame that carries it.
fn encode(msg: &ServerMessage) -> Utf8Bytes {
    // Serializing plain data to a `String` cannot fail (no maps with
    // non-string keys, no I/O).
    Utf8Bytes::from(serde_json::to_string(msg).unwrap_or_default())
}

fn rate_limited(count: u32, limit: &str) -> ProtocolError {
    let what = if count == 1 { "this like or change was".to_owned() } else { format!("{count} likes or changes were") };
    ProtocolError {
        count,
        ..ProtocolError::new(
            ErrorCode::RateLimited,
            format!("too many messages too fast: {what} not applied (limits: {limit})"),
        )
    }
}

struct Writer {
    frames: watch::Receiver<Published>,
    /// The seq of the last frame sent; `None` until the first frame after
    /// the snapshot (which must be whole, see `Joined::frames`).
    last_seq: Option<u64>,
    /// The room's messages for this viewer and the reader's replies.
    direct: mpsc::Receiver<Utf8Bytes>,
    /// A close the reader asks for: code and reason.
    close: oneshot::Receiver<(u16, &'static str)>,
    shutdown: watch::Receiver<bool>,
    send_timeout: Duration,
    ping_interval: Duration,
}

/// Why the writer stopped.
#[derive(Debug)]
enum WriterEnd {
    Closed,
    Stuck,
    Shutdown,
    /// The reader asked to close with this code and reason.
    Close(u16, &'static str),
}

impl Writer {
    async fn run(
        mut self,
        mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
        snapshot: Utf8Bytes,
    ) -> WriterEnd {
        let end = self.pump(&mut sink, snapshot).await;
        let close = match end {
            WriterEnd::Shutdown => Some((1001, "server restarting")),
            WriterEnd::Close(code, reason) => Some((code, reason)),
            WriterEnd::Closed | WriterEnd::Stuck => None,
        };
        if let Some((code, reason)) = close {
            let close = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
            let _ = tokio::time::timeout(self.send_timeout, sink.send(Message::Close(Some(close)))).await;
        }
        end
    }

    async fn pump(
        &mut self,
        sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
        snapshot: Utf8Bytes,
    ) -> WriterEnd {
        if let Err(end) = self.send(sink, Message::Text(snapshot)).await {
            return end;
        }
        // (A zero period would make `interval` panic.)
        let period = self.ping_interval.max(Duration::from_millis(1));
        let mut ping = tokio::time::interval_at(Instant::now() + period, period);
        // After a stall, one ping, not a burst of the missed ones.
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let msg = tokio::select! {
                changed = self.frames.changed() => match changed {
                    Ok(()) => {
                        // A reference-count increment, no copy: every
                        // viewer shares the room's two buffers.
                        let published = self.frames.borrow_and_update();
                        let text = published.for_viewer(self.last_seq).clone();
                        self.last_seq = Some(published.seq);
                        Message::Text(text)
                    }
                    Err(_) => return WriterEnd::Closed, // the room ended
                },
                Some(text) = self.direct.recv() => Message::Text(text),
                _ = ping.tick() => Message::Ping(Default::default()),
                Ok((code, reason)) = &mut self.close => return WriterEnd::Close(code, reason),
                _ = self.shutdown.changed() => return WriterEnd::Shutdown,
            };
            if let Err(end) = self.send(sink, msg).await {
                return end;
            }
        }
    }

    /// Sends one message within the deadline; a viewer whose socket cannot
    /// take it in time is dropped (only this viewer: the room never waits
    /// on a writer, see the module doc).
    async fn send(
        &self,
        sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
        msg: Message,
    ) -> Result<(), WriterEnd> {
        match tokio::time::timeout(self.send_timeout, sink.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(WriterEnd::Closed),
            Err(_) => {
                tracing::info!("dropping a viewer that stopped reading");
                Err(WriterEnd::Stuck)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn the_like_quota_allows_a_burst_then_the_sustained_rate() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(like_quota(10, 5), clock.clone());
        assert_eq!((0..20).filter(|_| limiter.check().is_ok()).count(), 5, "the burst, then nothing at once");
        clock.advance(Duration::from_millis(50));
        assert!(limiter.check().is_err(), "half a token");
        clock.advance(Duration::from_millis(50));
        assert!(limiter.check().is_ok());
        // Idle for a long time: never more than the burst saved up.
        clock.advance(Duration::from_secs(60));
        assert_eq!((0..20).filter(|_| limiter.check().is_ok()).count(), 5);
        // A zero rate is taken as one a second, a zero burst as the rate.
        let limiter = RateLimiter::direct_with_clock(like_quota(0, 0), FakeRelativeClock::default());
        assert_eq!((0..5).filter(|_| limiter.check().is_ok()).count(), 1);
    }
}
