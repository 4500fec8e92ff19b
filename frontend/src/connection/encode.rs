//! Writes the page's messages to the server as JSON text, by hand instead
//! of through serde's derived `Serialize`.
//!
//! Why: the derived encoder of [`ClientMessage`] (29 variants, a strategy's
//! config and a link's conditions inside two of them) compiled to about
//! 16 KB of wasm, for messages that are a handful of fields each; this is a
//! small writer and one line per variant (docs/page-weight.md). The
//! server reads them with its derived decoder, which is the test's oracle:
//! every variant written here must parse back, there, to the very message.
//!
//! Floats are written by [`crate::format::push_json`] (integer arithmetic,
//! no float printer in the page), so a float parses back to the same
//! `f64`; a float that is not finite (never sent: the controls clamp their
//! values) is written as `null`, as serde_json does.

use super::decode::Named;
use shared::kernel::network::LinkConditions;
use shared::protocol::ClientMessage;
use shared::strategy::StrategyConfig;
use std::fmt::Write;

/// The message as the server reads it.
// Not inlined into the connection's session (see `connection::decode`).
#[inline(never)]
pub fn encode(msg: &ClientMessage) -> String {
    use ClientMessage as M;
    match msg {
        M::Like { region, person } => {
            let out = Obj::tagged("type", "like").str("region", region);
            match person {
                Some(person) => out.str("person", person),
                None => out,
            }
        }
        M::Unlike { region, person } => Obj::tagged("type", "unlike").str("region", region).str("person", person),
        M::SuperLike { region, person } => {
            Obj::tagged("type", "super_like").str("region", region).str("person", person)
        }
        M::SetPayouts { open } => Obj::tagged("type", "set_payouts").bool("open", *open),
        M::Hello { person, home } => Obj::tagged("type", "hello").str("person", person).str("home", home),
        M::SetDataType { data_type } => Obj::tagged("type", "set_data_type").str("data_type", data_type.wire_name()),
        M::SetReadModel { interval_ms } => Obj::tagged("type", "set_read_model").num("interval_ms", *interval_ms),
        M::SetStrategy { config } => Obj::tagged("type", "set_strategy").raw("config", &strategy(config)),
        M::SetLink { from, to, conditions } => {
            Obj::tagged("type", "set_link").str("from", from).str("to", to).raw("conditions", &link(conditions))
        }
        M::ResetLink { from, to } => Obj::tagged("type", "reset_link").str("from", from).str("to", to),
        M::SetAllLinks { loss, duplicate, jitter_ms } => Obj::tagged("type", "set_all_links")
            .float("loss", *loss)
            .float("duplicate", *duplicate)
            .opt("jitter_ms", jitter_ms.map(u64::from)),
        M::Cut { a, b } => Obj::tagged("type", "cut").str("a", a).str("b", b),
        M::Heal { a, b } => Obj::tagged("type", "heal").str("a", a).str("b", b),
        M::CutOneWay { from, to } => Obj::tagged("type", "cut_one_way").str("from", from).str("to", to),
        M::HealOneWay { from, to } => Obj::tagged("type", "heal_one_way").str("from", from).str("to", to),
        M::Isolate { region } => Obj::tagged("type", "isolate").str("region", region),
        M::HealAll => Obj::tagged("type", "heal_all"),
        M::Crash { region } => Obj::tagged("type", "crash").str("region", region),
        M::Restart { region } => Obj::tagged("type", "restart").str("region", region),
        M::SetDurable { durable } => Obj::tagged("type", "set_durable").bool("durable", *durable),
        M::Pause => Obj::tagged("type", "pause"),
        M::Resume => Obj::tagged("type", "resume"),
        M::SetSpeed { speed } => Obj::tagged("type", "set_speed").float("speed", *speed),
        M::Step => Obj::tagged("type", "step"),
        M::Seek { at_ms } => Obj::tagged("type", "seek").num("at_ms", *at_ms),
        M::Fork { at_ms } => Obj::tagged("type", "fork").num("at_ms", *at_ms),
        M::Export => Obj::tagged("type", "export"),
        M::Present { token } => Obj::tagged("type", "present").str("token", token),
    }
    .end()
}

/// `{"kind":…, knobs…}`, serde's internally tagged form.
fn strategy(config: &StrategyConfig) -> String {
    use StrategyConfig as S;
    let kind = config.kind().wire_name();
    match config {
        S::EventPush { anti_entropy_ms, retry_ms, dedupe } => Obj::tagged("kind", kind)
            .opt("anti_entropy_ms", *anti_entropy_ms)
            .opt("retry_ms", *retry_ms)
            .bool("dedupe", *dedupe),
        S::BackgroundSync { interval_ms, delta } => {
            Obj::tagged("kind", kind).num("interval_ms", *interval_ms).bool("delta", *delta)
        }
        S::QueueBatch { batch_ms, writer } => {
            Obj::tagged("kind", kind).num("batch_ms", *batch_ms).str("writer", writer.id())
        }
        S::LastWriterWins { resend_ms, skew_ms } => {
            Obj::tagged("kind", kind).opt("resend_ms", *resend_ms).num("skew_ms", *skew_ms)
        }
        S::SingleWriter { leader, timeout_ms } => {
            Obj::tagged("kind", kind).str("leader", leader.id()).num("timeout_ms", *timeout_ms)
        }
    }
    .end()
}

fn link(c: &LinkConditions) -> String {
    Obj::open()
        .num("latency_ms", c.latency_ms.into())
        .num("jitter_ms", c.jitter_ms.into())
        .float("loss", c.loss)
        .float("duplicate", c.duplicate)
        .bool("cut", c.cut)
        .end()
}

/// A JSON object being written, one `"key":value` at a time.
struct Obj(String);

impl Obj {
    fn open() -> Obj {
        Obj(String::from("{"))
    }

    /// An object that starts with its tag (`"type":"like"`).
    fn tagged(tag: &str, name: &str) -> Obj {
        Obj::open().str(tag, name)
    }

    fn key(mut self, key: &str) -> Obj {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        string(&mut self.0, key);
        self.0.push(':');
        self
    }

    fn str(self, key: &str, value: &str) -> Obj {
        let mut out = self.key(key);
        string(&mut out.0, value);
        out
    }

    fn raw(self, key: &str, json: &str) -> Obj {
        let mut out = self.key(key);
        out.0.push_str(json);
        out
    }

    fn num(self, key: &str, n: u64) -> Obj {
        let mut out = self.key(key);
        let _ = write!(out.0, "{n}");
        out
    }

    fn opt(self, key: &str, n: Option<u64>) -> Obj {
        match n {
            Some(n) => self.num(key, n),
            None => self.raw(key, "null"),
        }
    }

    fn float(self, key: &str, x: f64) -> Obj {
        let mut out = self.key(key);
        crate::format::push_json(&mut out.0, x);
        out
    }

    fn bool(self, key: &str, b: bool) -> Obj {
        self.raw(key, if b { "true" } else { "false" })
    }

    fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// `s` as a JSON string, escaped as serde_json escapes it: `"` and `\`,
/// the short forms `\b \t \n \f \r`, other control characters as
/// `\u00XX`; everything else as it is. The messages sent and the saved run
/// ([`run_file`](crate::run_file)) both write strings with it.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::ClientMessage as M;
    use shared::sim::DataType;

    /// Every variant (an exhaustive `match` below fails to compile when one
    /// is added), with both cases of every option.
    fn messages() -> Vec<M> {
        let s = |x: &str| x.to_owned();
        let conditions = LinkConditions { latency_ms: 900, jitter_ms: 30, loss: 0.1, duplicate: 0.05, cut: true };
        let mut all = vec![
            M::Like { region: s("tokyo"), person: None },
            M::Like { region: s("tokyo"), person: Some(s("p_3kX9a0Qz")) },
            M::Unlike { region: s("virginia"), person: s("p_3kX9a0Qz") },
            M::SuperLike { region: s("mumbai"), person: s("p_3kX9a0Qz") },
            M::SetPayouts { open: false },
            M::SetPayouts { open: true },
            M::Hello { person: s("p_3kX9a0Qz"), home: s("sydney") },
            M::SetReadModel { interval_ms: 5_000 },
            M::SetLink { from: s("tokyo"), to: s("sydney"), conditions: conditions.clone() },
            M::SetLink { from: s("tokyo"), to: s("sydney"), conditions: LinkConditions { cut: false, ..conditions } },
            M::ResetLink { from: s("tokyo"), to: s("sydney") },
            M::SetAllLinks { loss: 0.2, duplicate: 0.0, jitter_ms: None },
            M::SetAllLinks { loss: 1.0, duplicate: 1e-7, jitter_ms: Some(300) },
            M::Cut { a: s("tokyo"), b: s("virginia") },
            M::Heal { a: s("tokyo"), b: s("virginia") },
            M::CutOneWay { from: s("tokyo"), to: s("virginia") },
            M::HealOneWay { from: s("tokyo"), to: s("virginia") },
            M::Isolate { region: s("frankfurt") },
            M::HealAll,
            M::Crash { region: s("mumbai") },
            M::Restart { region: s("mumbai") },
            M::SetDurable { durable: false },
            M::Pause,
            M::Resume,
            M::SetSpeed { speed: 0.1 },
            M::SetSpeed { speed: 1.7 },
            M::Step,
            M::Seek { at_ms: 12_400 },
            M::Fork { at_ms: 0 },
            M::Export,
            M::Present { token: s("Qm7rT2xkP9aLw3Zc8VbN4d") },
            // Not a valid id, but it must still be written as valid JSON.
            M::Hello { person: s("quote \" back \\ slash \n line \u{1} é ⇄"), home: s("") },
        ];
        all.extend(DataType::ALL.map(|data_type| M::SetDataType { data_type }));
        all.extend(super::super::decode::tests::strategies().into_iter().map(|config| M::SetStrategy { config }));
        for m in &all {
            match m {
                M::Like { .. }
                | M::Unlike { .. }
                | M::SuperLike { .. }
                | M::SetPayouts { .. }
                | M::Hello { .. }
                | M::SetDataType { .. }
                | M::SetReadModel { .. }
                | M::SetStrategy { .. }
                | M::SetLink { .. }
                | M::ResetLink { .. }
                | M::SetAllLinks { .. }
                | M::Cut { .. }
                | M::Heal { .. }
                | M::CutOneWay { .. }
                | M::HealOneWay { .. }
                | M::Isolate { .. }
                | M::HealAll
                | M::Crash { .. }
                | M::Restart { .. }
                | M::SetDurable { .. }
                | M::Pause
                | M::Resume
                | M::SetSpeed { .. }
                | M::Step
                | M::Seek { .. }
                | M::Fork { .. }
                | M::Export
                | M::Present { .. } => {}
            }
        }
        all
    }

    #[test]
    fn the_server_reads_every_message_as_it_was_written() {
        for msg in messages() {
            let text = encode(&msg);
            let back: M = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(back, msg, "{text}");
        }
        let like = M::Like { region: "tokyo".into(), person: None };
        assert_eq!(encode(&like), r#"{"type":"like","region":"tokyo"}"#);
        assert_eq!(
            encode(&M::SetAllLinks { loss: 0.2, duplicate: f64::NAN, jitter_ms: None }),
            r#"{"type":"set_all_links","loss":0.2,"duplicate":null,"jitter_ms":null}"#
        );
    }
}
