//! What a frame weighs on the wire, full and as a delta, in a quiet room and
//! under load: the figures behind the delta-frame design (see
//! `shared::protocol::delta` and the README's load section).
//!
//! ```sh
//! cargo run --release -p shared --example frame_sizes
//! ```
//!
//! A room is driven straight on the simulation (no server): `rate` likes a
//! second spread over five regions, a frame every `every` ms of simulated
//! time, for 20 s. For each frame it prints nothing; at the end, per load:
//! the mean size of the full frame, of the delta against the previous frame,
//! and of the delta against the last keyframe (every 2 s), and which fields
//! the deltas carry most.

use serde_json::Value;
use shared::protocol::{delta, Frame, ServerMessage, TimeView};
use shared::region::RegionId;
use shared::sim::{SimConfig, Simulation};
use std::collections::BTreeMap;

fn message(sim: &Simulation, seq: u64) -> Value {
    let frame = Frame {
        seq,
        viewers: 10_000,
        sim: sim.view(),
        time: TimeView::default(),
        history: None,
        people: Vec::new(),
        presenter: None,
        changes: Vec::new(),
    };
    serde_json::to_value(ServerMessage::Frame(frame)).unwrap_or_default()
}

fn len(v: &Value) -> usize {
    v.to_string().len()
}

fn main() {
    for (rate, every) in [(0u64, 100u64), (10, 100), (100, 100), (1_000, 100), (1_000, 33)] {
        let mut sim = Simulation::new(SimConfig { seed: 7, ..SimConfig::default() });
        let regions: Vec<RegionId> = RegionId::all().take(5).collect();
        let (mut full, mut chain, mut keyed, mut n) = (0usize, 0usize, 0usize, 0usize);
        let mut fields: BTreeMap<String, usize> = BTreeMap::new();
        let mut prev: Option<Value> = None;
        let mut key: Option<Value> = None;
        let mut likes = 0u64;
        let mut t = 0;
        let mut seq = 0;
        while t < 20_000 {
            t += every;
            // Likes due by `t`, evenly spaced.
            while rate > 0 && likes * 1_000 / rate < t {
                let at = likes * 1_000 / rate;
                sim.advance(at);
                let _ = sim.like(regions[likes as usize % regions.len()], at);
                likes += 1;
            }
            sim.advance(t);
            seq += 1;
            let msg = message(&sim, seq);
            if seq % (2_000 / every) == 1 {
                key = Some(msg.clone());
            }
            if let (Some(p), Some(k), true) = (&prev, &key, t > 2_000) {
                let d = delta::frame_delta(p, &msg).unwrap_or_default();
                if let Value::Object(m) = &d["sim"] {
                    for (k, v) in m {
                        *fields.entry(k.clone()).or_default() += len(v);
                    }
                }
                full += len(&msg);
                chain += len(&d);
                keyed += len(&delta::frame_delta(k, &msg).unwrap_or_default());
                n += 1;
            }
            prev = Some(msg);
        }
        let n = n.max(1);
        println!(
            "{rate:>5} likes/s, a frame every {every:>3} ms: full {:>5} B, delta {:>5} B, delta against the keyframe {:>5} B",
            full / n,
            chain / n,
            keyed / n
        );
        let mut top: Vec<_> = fields.into_iter().collect();
        top.sort_by_key(|(_, b)| std::cmp::Reverse(*b));
        let top: Vec<String> = top.iter().take(6).map(|(k, b)| format!("{k} {}", b / n)).collect();
        println!("        delta's biggest fields (B per frame): {}", top.join(", "));
    }
}
