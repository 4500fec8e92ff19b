//! One viewer's WebSocket: a reader loop and a writer task.
//!
//! The socket is split in two. The **writer task** owns the sending half: it
//! sends the snapshot, then whatever is newest in the room's frame channel,
//! plus any error addressed to this viewer. The **reader loop** owns the
//! receiving half: it validates each message, rate-limits likes, and forwards
//! them to the room without waiting for the room.
//!
//! Neither half can hold anyone else up:
//! - frames come from a `watch` channel, so a viewer that reads slowly just
//!   skips to the latest frame;
//! - each send has a deadline; a viewer that stops reading altogether is
//!   disconnected once its socket buffer is full and the deadline passes;
//! - bad input is answered with an error message and the loop carries on.

use crate::room::{Joined, RoomHandle};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use shared::protocol::{parse_client_message, Command, ErrorCode, ProtocolError, ServerMessage};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Per-connection limits.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Sustained likes per second one connection may send.
    pub likes_per_second: f64,
    /// Burst allowance on top of the sustained rate.
    pub like_burst: f64,
    /// How long one send may take before the viewer is dropped as stuck.
    pub send_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { likes_per_second: 20.0, like_burst: 40.0, send_timeout: Duration::from_secs(10) }
    }
}

/// Serves one viewer until it disconnects, gets stuck, or the server stops.
pub async fn serve(socket: WebSocket, joined: Joined, limits: ConnectionLimits, shutdown: watch::Receiver<bool>) {
    let Joined { viewer, snapshot, frames, direct, membership } = joined;
    let room = membership.room.clone();
    let (sink, mut stream) = socket.split();
    let (replies, replies_rx) = mpsc::channel::<ServerMessage>(8);

    let writer = Writer { frames, direct, replies: replies_rx, shutdown, send_timeout: limits.send_timeout };
    let mut writer = tokio::spawn(writer.run(sink, snapshot));

    let mut bucket = TokenBucket::new(limits.likes_per_second, limits.like_burst);
    // Likes refused by the rate limit but not yet reported. Under a flood the
    // reply queue fills up; rather than drop those reports, they are summed
    // and sent as one error with a count as soon as there is room.
    let mut unreported_refusals: u32 = 0;
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(msg)) => match handle_message(msg, &room, viewer, &mut bucket) {
                    None => {}
                    Some(err) if err.code == ErrorCode::RateLimited => unreported_refusals += 1,
                    // Other bad input changed nothing; if the client floods
                    // us with it, it does not get an unbounded queue of
                    // errors back.
                    Some(err) => {
                        let _ = replies.try_send(ServerMessage::Error(err));
                    }
                },
                Some(Err(e)) => {
                    tracing::debug!(viewer, error = %e, "websocket read failed");
                    break;
                }
                None => break,
            },
            Ok(permit) = replies.reserve(), if unreported_refusals > 0 => {
                permit.send(ServerMessage::Error(rate_limited(unreported_refusals, limits.likes_per_second)));
                unreported_refusals = 0;
            }
            // The writer ends on shutdown, a stuck client, or a closed socket.
            _ = &mut writer => break,
        }
    }
    writer.abort();
    // Dropping the membership guard tells the room we left.
    drop(membership);
}

/// Applies one incoming message; returns the error to report, if any.
fn handle_message(msg: Message, room: &RoomHandle, viewer: u64, bucket: &mut TokenBucket) -> Option<ProtocolError> {
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
    if !bucket.take(Instant::now()) {
        return Some(rate_limited(1, bucket.rate));
    }
    match command {
        Command::Like(region) => room.like(viewer, region).err(),
        Command::Control(control) => room.control(viewer, control).err(),
    }
}

fn rate_limited(count: u32, rate: f64) -> ProtocolError {
    let what = if count == 1 { "this like or change was".to_owned() } else { format!("{count} likes or changes were") };
    ProtocolError {
        count,
        ..ProtocolError::new(
            ErrorCode::RateLimited,
            format!("too many messages too fast: {what} not applied (limit: {rate} per second per connection)"),
        )
    }
}

struct Writer {
    frames: watch::Receiver<Utf8Bytes>,
    direct: mpsc::Receiver<Utf8Bytes>,
    replies: mpsc::Receiver<ServerMessage>,
    shutdown: watch::Receiver<bool>,
    send_timeout: Duration,
}

/// Why the writer stopped.
#[derive(Debug)]
enum WriterEnd {
    Closed,
    Stuck,
    Shutdown,
}

impl Writer {
    async fn run(
        mut self,
        mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
        snapshot: Utf8Bytes,
    ) -> WriterEnd {
        let end = self.pump(&mut sink, snapshot).await;
        if let WriterEnd::Shutdown = end {
            let close = CloseFrame { code: 1001, reason: Utf8Bytes::from_static("server restarting") };
            let _ = tokio::time::timeout(self.send_timeout, sink.send(Message::Close(Some(close)))).await;
        }
        end
    }

    async fn pump(
        &mut self,
        sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
        snapshot: Utf8Bytes,
    ) -> WriterEnd {
        if let Err(end) = self.send(sink, snapshot).await {
            return end;
        }
        loop {
            let text = tokio::select! {
                changed = self.frames.changed() => match changed {
                    Ok(()) => self.frames.borrow_and_update().clone(),
                    Err(_) => return WriterEnd::Closed, // the room ended
                },
                Some(text) = self.direct.recv() => text,
                Some(reply) = self.replies.recv() => match serde_json::to_string(&reply) {
                    Ok(json) => Utf8Bytes::from(json),
                    Err(_) => continue,
                },
                _ = self.shutdown.changed() => return WriterEnd::Shutdown,
            };
            if let Err(end) = self.send(sink, text).await {
                return end;
            }
        }
    }

    async fn send(
        &self,
        sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
        text: Utf8Bytes,
    ) -> Result<(), WriterEnd> {
        match tokio::time::timeout(self.send_timeout, sink.send(Message::Text(text))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(WriterEnd::Closed),
            Err(_) => {
                tracing::info!("dropping a viewer that stopped reading");
                Err(WriterEnd::Stuck)
            }
        }
    }
}

/// A classic token bucket: `rate` tokens per second, at most `burst` saved.
#[derive(Debug)]
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64) -> Self {
        TokenBucket { rate, burst, tokens: burst, last: Instant::now() }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_allows_a_burst_then_the_sustained_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket { rate: 10.0, burst: 5.0, tokens: 5.0, last: start };
        let granted = (0..20).filter(|_| bucket.take(start)).count();
        assert_eq!(granted, 5, "the burst, then nothing at the same instant");
        assert!(!bucket.take(start + Duration::from_millis(50)), "half a token");
        assert!(bucket.take(start + Duration::from_millis(100)));
        // Idle for a long time: never more than the burst saved up.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..20).filter(|_| bucket.take(later)).count(), 5);
    }
}
