//! The browser's WebSocket as the connection task needs it: open, text in
//! as a stream of events, text out, closed when dropped.
//!
//! Why not gloo-net's `WebSocket`: its `Stream` + `Sink` pair, split into
//! two halves behind a `BiLock`, with an error type that formats every
//! browser event, was ~5 KB of wasm for what is three event handlers and
//! a channel here (README, "Page weight"). The behaviour the task relies on
//! is the same: messages arrive in order; an error or a close ends the
//! stream; text is sent only once a snapshot has arrived, so the socket is
//! open by then (and a send on a socket that has closed meanwhile is
//! dropped by the browser, as it was).

use futures::channel::mpsc::{self, UnboundedReceiver};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

/// What the socket reports.
pub enum Event {
    Text(String),
    /// A binary message: the protocol is text only.
    Binary,
    /// An error or a close: the socket is done.
    Closed,
}

/// An open socket and the handlers feeding its events; closed on drop.
pub struct Socket {
    ws: web_sys::WebSocket,
    // Held so that the handlers live as long as the socket; one closure
    // type for all three keeps the wasm-bindgen glue to one.
    _handlers: [Closure<dyn FnMut(JsValue)>; 3],
}

impl Socket {
    /// Starts connecting to `url`: the socket, and the stream of its
    /// events (apart, so that one can be awaited while the other sends).
    /// `Err` with the browser's reason when it refuses the URL.
    pub fn open(url: &str) -> Result<(Socket, UnboundedReceiver<Event>), String> {
        let ws = web_sys::WebSocket::new(url).map_err(|e| {
            e.dyn_ref::<js_sys::Error>().map_or_else(|| "refused".to_owned(), |e| String::from(e.message()))
        })?;
        let (tx, events) = mpsc::unbounded();
        let handler = |report: fn(JsValue) -> Event| {
            let tx = tx.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                // The receiver is gone once the session ended: nothing to do.
                let _ = tx.unbounded_send(report(e));
            })
        };
        let message = handler(|e| match e.unchecked_into::<MessageEvent>().data().as_string() {
            Some(text) => Event::Text(text),
            None => Event::Binary,
        });
        let error = handler(|_| Event::Closed);
        let close = handler(|_| Event::Closed);
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onerror(Some(error.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        Ok((Socket { ws, _handlers: [message, error, close] }, events))
    }

    /// Sends one text message; `Err` if the socket is not open.
    pub fn send(&self, text: &str) -> Result<(), JsValue> {
        self.ws.send_with_str(text)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Unhook first: the handlers are freed with this struct, and the
        // browser must not call them after.
        self.ws.set_onmessage(None);
        self.ws.set_onerror(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
