//! What a flood of super likes costs a room: 10 000 of them, each by a new
//! person id, one every 50 ms, timed per block of 2 500 (the room refuses
//! past `MAX_SAGAS`, 5 000). Anyone in a private room may super-like; the
//! room's task pays for every saga event. Before the services kept their
//! coins in flight counted, the second block took 50 s.
//!
//! `cargo run --release -p shared --example saga_flood`

use shared::protocol::Command;
use shared::region::RegionId;
use shared::sim::replay::Input;
use shared::sim::{DataType, SimConfig, Simulation};
use std::time::Instant;

fn main() {
    let config = SimConfig { data_type: DataType::LikesAddWins, ..SimConfig::default() };
    let mut sim = Simulation::new(config);
    let mut t = 0;
    for block in 0..4u64 {
        let last = Instant::now();
        for i in 0..2_500u64 {
            t += 50;
            let person = block * 10_000 + i + 1;
            let region = RegionId::from_index((i % 6) as usize).unwrap();
            sim.input(&Input { at: t, command: Command::SuperLike { region, person } });
        }
        let v = Instant::now();
        let json = serde_json::to_string(&sim.view()).unwrap();
        println!(
            "super likes {}..{} in {:.0} ms; view {} bytes in {:.1} ms",
            block * 2500,
            (block + 1) * 2500,
            (v - last).as_secs_f64() * 1000.0,
            json.len(),
            v.elapsed().as_secs_f64() * 1000.0
        );
    }
}
