//! Fuzzing on stable Rust, with proptest: whatever a client sends, the
//! protocol layer answers with a command or a `ProtocolError` — it never
//! panics — and a real room keeps working after a few hundred arbitrary
//! messages over a real socket.
//!
//! Not coverage-guided (that needs nightly and cargo-fuzz); instead the
//! generators aim at the parser's shape: JSON objects whose keys are the
//! protocol's own (`type`, `region`, `config`, ...) and whose values are the
//! protocol's names, numbers at the edges, nulls and nested objects, so most
//! cases get past `serde_json` and into the validation code. Case counts are
//! set explicitly and keep each test to a few seconds.

mod common;

use common::*;
use futures_util::SinkExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Number, Value};
use shared::protocol::{parse_client_message, ErrorCode};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Message types, strategy kinds and field names the protocol knows, and a
/// few it does not.
const TYPES: &[&str] = &[
    "like",
    "set_strategy",
    "set_link",
    "reset_link",
    "set_all_links",
    "cut",
    "heal",
    "isolate",
    "heal_all",
    "crash",
    "restart",
    "set_durable",
    "snapshot",
    "frame",
    "error",
    "",
    "LIKE",
];
const KINDS: &[&str] =
    &["event_push", "background_sync", "queue_batch", "last_writer_wins", "single_writer", "paxos", ""];
const REGIONS: &[&str] = &["tokyo", "sydney", "mumbai", "frankfurt", "virginia", "saopaulo", "atlantis", "Tokyo", ""];
const KEYS: &[&str] = &[
    "type",
    "region",
    "config",
    "kind",
    "from",
    "to",
    "a",
    "b",
    "conditions",
    "latency_ms",
    "jitter_ms",
    "loss",
    "duplicate",
    "cut",
    "durable",
    "anti_entropy_ms",
    "retry_ms",
    "dedupe",
    "interval_ms",
    "delta",
    "batch_ms",
    "writer",
    "leader",
    "resend_ms",
    "count",
];

fn pick(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(names).prop_map(str::to_owned)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => pick(KEYS), 1 => "[a-z_]{0,10}"]
}

/// Numbers at the edges the validation checks: negative, zero, tiny,
/// fractional probabilities, the 60 s cap, and beyond any integer type.
fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(&[-1i64, 0, 1, 99, 100, 4000, 60_000, 60_001, u32::MAX as i64, 1 << 40][..])
            .prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-2.0f64..2.0).prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
    ]
    .boxed()
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        pick(TYPES).prop_map(Value::String),
        pick(KINDS).prop_map(Value::String),
        pick(REGIONS).prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
    ]
    .boxed()
}

// Every generator is boxed: the nested unions' types are otherwise so large
// that building one value overflows a test thread's stack in debug builds.

/// Any JSON value: leaves, arrays and objects with protocol-like keys,
/// nested a few levels deep.
fn json() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
        .boxed()
}

/// A top-level object that looks like a client message: usually a known
/// `type`, then any fields.
fn message_like() -> BoxedStrategy<Value> {
    (prop::option::weighted(0.9, pick(TYPES)), prop::collection::vec((key(), json()), 0..5))
        .prop_map(|(ty, fields)| {
            let mut object: Map<String, Value> = fields.into_iter().collect();
            if let Some(ty) = ty {
                object.insert("type".into(), Value::String(ty));
            }
            Value::Object(object)
        })
        .boxed()
}

/// A region, usually a real one.
fn region() -> BoxedStrategy<Value> {
    prop_oneof![8 => pick(REGIONS).prop_map(Value::String), 1 => leaf()].boxed()
}

/// A number, usually; sometimes anything else.
fn num() -> BoxedStrategy<Value> {
    prop_oneof![8 => number(), 1 => leaf()].boxed()
}

/// A strategy config with its kind's own fields.
fn config() -> BoxedStrategy<Value> {
    (pick(KINDS), num(), num(), region(), any::<bool>())
        .prop_map(|(kind, x, y, r, flag)| {
            let fields = match kind.as_str() {
                "event_push" => serde_json::json!({ "anti_entropy_ms": x, "retry_ms": y, "dedupe": flag }),
                "background_sync" => serde_json::json!({ "interval_ms": x, "delta": flag }),
                "queue_batch" => serde_json::json!({ "batch_ms": x, "writer": r }),
                "last_writer_wins" => serde_json::json!({ "resend_ms": x }),
                _ => serde_json::json!({ "leader": r }),
            };
            let mut object = fields.as_object().cloned().unwrap_or_default();
            object.insert("kind".into(), Value::String(kind));
            Value::Object(object)
        })
        .boxed()
}

/// A message with its type's own fields, values valid or at the edges, so
/// most cases get past deserialization into the range checks.
fn well_formed() -> BoxedStrategy<Value> {
    use serde_json::json;
    let pair = (prop::sample::select(&["cut", "heal", "reset_link"][..]), region(), region());
    let link = (region(), region(), num(), num(), num(), num(), any::<bool>());
    prop_oneof![
        (prop::sample::select(&["like", "isolate", "crash", "restart"][..]), region())
            .prop_map(|(ty, r)| json!({ "type": ty, "region": r })),
        pair.prop_map(|(ty, x, y)| match ty {
            "reset_link" => json!({ "type": ty, "from": x, "to": y }),
            _ => json!({ "type": ty, "a": x, "b": y }),
        }),
        link.prop_map(|(from, to, latency_ms, jitter_ms, loss, duplicate, cut)| json!({
            "type": "set_link", "from": from, "to": to,
            "conditions": { "latency_ms": latency_ms, "jitter_ms": jitter_ms, "loss": loss, "duplicate": duplicate, "cut": cut },
        })),
        (num(), num(), prop::option::of(num()))
            .prop_map(|(loss, duplicate, jitter_ms)| json!({ "type": "set_all_links", "loss": loss, "duplicate": duplicate, "jitter_ms": jitter_ms })),
        config().prop_map(|config| json!({ "type": "set_strategy", "config": config })),
        any::<bool>().prop_map(|durable| json!({ "type": "set_durable", "durable": durable })),
        Just(json!({ "type": "heal_all" })),
    ]
    .boxed()
}

/// Any client-ish message: mostly well formed, some only message-shaped.
fn client_message() -> BoxedStrategy<Value> {
    prop_oneof![3 => well_formed(), 1 => message_like()].boxed()
}

/// The property: `Ok`, or an error with a code and a sentence for people.
fn never_panics(text: &str) {
    match parse_client_message(text) {
        Ok(_) => {}
        Err(err) => {
            assert!(!err.message.is_empty(), "{err:?}");
            if text.len() > shared::protocol::MAX_CLIENT_MESSAGE_BYTES {
                assert_eq!(err.code, ErrorCode::TooLarge);
            }
        }
    }
}

// Case counts: each test stays within a few seconds in a debug build on a
// busy 2-core machine (the generators, not the parser, take the time).
proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        never_panics(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        never_panics(&value.to_string());
    }

    #[test]
    fn well_formed_messages_with_edge_values_never_panic(value in well_formed()) {
        never_panics(&value.to_string());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        never_panics(&text);
    }

    #[test]
    fn message_shaped_json_never_panics(value in message_like()) {
        never_panics(&value.to_string());
    }
}

/// A few hundred arbitrary frames, generated up front from a fixed seed.
fn arbitrary_frames(count: usize) -> Vec<Message> {
    let frame = prop_oneof![
        6 => client_message().prop_map(|v| Message::text(v.to_string())),
        2 => json().prop_map(|v| Message::text(v.to_string())),
        1 => "\\PC{0,200}".prop_map(Message::text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Message::binary),
    ];
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|_| frame.new_tree(&mut runner).expect("generate a frame").current())
        .filter(|m| m.len() < 8 * 1024)
        .collect()
}

#[tokio::test]
async fn a_room_survives_arbitrary_messages_and_still_takes_a_like() {
    // No rate limit here: the point is what the messages do, not how many.
    let server = Server::start_with(|c| {
        c.limits.likes_per_second = 100_000;
        c.limits.like_burst = 100_000;
        c.per_address.likes_per_second = 0;
    })
    .await;
    let (mut a, _) = server.join("fuzzed").await;
    let (mut b, _) = server.join("fuzzed").await;
    let frames = arbitrary_frames(300);
    assert!(frames.len() > 250, "the frames are small");
    for frame in frames {
        a.send(frame).await.expect("the server closed the socket");
    }
    // Put the room back in a state where a like must count, whatever the
    // messages did (crashed regions, another strategy). These queue behind
    // the arbitrary ones on the same connection, so they apply last.
    for region in ["tokyo", "sydney", "mumbai", "frankfurt", "virginia", "saopaulo"] {
        send(&mut a, &format!(r#"{{"type":"restart","region":"{region}"}}"#)).await;
    }
    send(&mut a, r#"{"type":"heal_all"}"#).await;
    send(&mut a, r#"{"type":"set_strategy","config":{"kind":"event_push","anti_entropy_ms":4000}}"#).await;
    // Let the room settle, then read where the truth stands.
    let mut truth_now = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(msg) = tokio::time::timeout_at(until, next_json(&mut b)).await {
        if msg["type"] != "error" {
            truth_now = truth_now.max(truth(&msg));
        }
    }
    like(&mut a, "tokyo").await;
    let seen = wait_for(&mut b, Duration::from_secs(5), |m| is_frame(m) && truth(m) > truth_now).await;
    assert_eq!(viewers(&seen), 2, "both connections are still in the room");
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
}

/// Guards the generators themselves: if most well-formed cases died in
/// deserialization, the fuzzing above would only test `serde_json`. When the
/// protocol's names change, update `TYPES`, `KINDS`, `KEYS` and
/// `well_formed` here.
#[test]
fn the_generators_reach_the_validation_code() {
    let mut runner = TestRunner::deterministic();
    let strategy = well_formed();
    let (mut accepted, mut out_of_range, mut undecodable) = (0, 0, 0);
    for _ in 0..2000 {
        let value = strategy.new_tree(&mut runner).expect("generate").current();
        match parse_client_message(&value.to_string()) {
            Ok(_) => accepted += 1,
            Err(e) if e.code == ErrorCode::BadMessage => undecodable += 1,
            Err(_) => out_of_range += 1,
        }
    }
    // Measured: ~44 % accepted, ~23 % refused by a range or id check.
    assert!(accepted >= 200, "accepted {accepted}, out of range {out_of_range}, undecodable {undecodable}");
    assert!(out_of_range >= 100, "accepted {accepted}, out of range {out_of_range}, undecodable {undecodable}");
}
