//! How long rebuilding a room from its log takes: one hour of history at
//! 10 likes a second (36,000 likes, event push, default network) replayed
//! three times. Wall time depends on what else the machine runs; for the
//! CPU time, run it under `perf stat -e task-clock`.
//!
//! `cargo run --release -p shared --example replay_hour`

use shared::protocol::Command;
use shared::region::RegionId;
use shared::sim::replay::{replay, Input};
use shared::sim::SimConfig;
use std::time::Instant;

fn main() {
    let inputs: Vec<Input> = (0..36_000u64)
        .filter_map(|i| {
            let region = RegionId::from_index((i % RegionId::COUNT as u64) as usize)?;
            Some(Input { at: i * 100, command: Command::Like(region) })
        })
        .collect();
    for _ in 0..3 {
        let start = Instant::now();
        let sim = replay(SimConfig::default(), &inputs, 3_600_000);
        println!("replayed {} likes in {:.1} ms", sim.truth().total, start.elapsed().as_secs_f64() * 1000.0);
    }
}
