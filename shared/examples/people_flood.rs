//! What a flood of made-up people costs a room of sets: 10 000 likes, each
//! by a new person id (anyone can make one up), one every 50 ms, timed per
//! block of 2 500, under each strategy. Each block should cost about the
//! same; a cost that grows with the people already in the set means the
//! room's time per like does too (it did: 6 ms a like at 10 000 people).
//!
//! `cargo run --release -p shared --example people_flood`

use shared::crdt::Act;
use shared::protocol::Command;
use shared::region::RegionId;
use shared::sim::replay::Input;
use shared::sim::{DataType, SimConfig, Simulation};
use shared::strategy::StrategyConfig;
use std::time::Instant;

fn main() {
    for (name, strategy) in [
        ("lww", StrategyConfig::LastWriterWins { resend_ms: Some(100), skew_ms: 0 }),
        ("sync", StrategyConfig::BackgroundSync { interval_ms: 100, delta: false }),
        ("single", StrategyConfig::SingleWriter { leader: RegionId::parse("virginia").unwrap(), timeout_ms: 5000 }),
        ("queue", StrategyConfig::QueueBatch { batch_ms: 100, writer: RegionId::parse("virginia").unwrap() }),
        ("push", StrategyConfig::EventPush { anti_entropy_ms: Some(100), retry_ms: None, dedupe: true }),
    ] {
        for rm in [2000u64] {
            let config = SimConfig {
                strategy: strategy.clone(),
                data_type: DataType::LikesAddWins,
                read_model_ms: rm,
                ..SimConfig::default()
            };
            let mut sim = Simulation::new(config);
            let mut t = 0;
            let mut last = Instant::now();
            for block in 0..4 {
                for i in 0..2_500u64 {
                    t += 50;
                    let person = block * 10_000 + i + 1;
                    let region = RegionId::from_index((i % 6) as usize).unwrap();
                    sim.input(&Input { at: t, command: Command::Act { region, act: Act::Like(person) } });
                }
                println!(
                    "{name} rm={rm}: likes {}..{} ({} s simulated) in {:.0} ms",
                    block * 2500,
                    (block + 1) * 2500,
                    2500 * 50 / 1000,
                    last.elapsed().as_secs_f64() * 1000.0
                );
                last = Instant::now();
            }
        }
    }
}
