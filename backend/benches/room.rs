//! What one room costs the server: a like through the simulation, one frame
//! built and serialized (done at most 30 times a second per room, shared by
//! all its viewers), and a burst of likes under load.
//!
//! `cargo bench -p backend --bench room`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared::protocol::{Frame, ServerMessage};
use shared::region::RegionId;
use shared::sim::{SimConfig, Simulation};
use std::hint::black_box;

/// A room with `likes` likes spread over regions and time, half delivered.
fn busy_room(likes: u64) -> Simulation {
    let mut sim = Simulation::new(SimConfig::default());
    for i in 0..likes {
        let region =
            RegionId::from_index((i % RegionId::COUNT as u64) as usize).unwrap_or(RegionId::all().next().unwrap());
        let _ = sim.like(region, i * 2);
    }
    sim
}

fn bench(c: &mut Criterion) {
    let tokyo = RegionId::parse("tokyo").unwrap();

    let mut group = c.benchmark_group("simulation");
    group.throughput(Throughput::Elements(1));
    group.bench_function("like (push to 5 peers)", |b| {
        b.iter_batched_ref(
            || busy_room(100),
            |sim| {
                let now = sim.now() + 1;
                black_box(sim.like(tokyo, now)).ok();
            },
            BatchSize::SmallInput,
        )
    });
    // 1000 likes x 5 peers = 5000 deliveries.
    group.throughput(Throughput::Elements(5000));
    group.bench_function("deliver (advance through 1000 likes' events)", |b| {
        b.iter_batched_ref(|| busy_room(1000), |sim| sim.advance(black_box(60_000)), BatchSize::SmallInput)
    });
    group.finish();

    let mut group = c.benchmark_group("frame");
    for in_flight_likes in [0u64, 200] {
        let mut sim = busy_room(in_flight_likes);
        sim.advance(sim.now());
        group.bench_function(format!("view + JSON, {in_flight_likes} likes in flight"), |b| {
            b.iter(|| {
                let frame = ServerMessage::Frame(Frame {
                    seq: 1,
                    viewers: 1000,
                    sim: sim.view(),
                    time: Default::default(),
                    history: None,
                    people: Vec::new(),
                    presenter: None,
                    changes: Vec::new(),
                });
                black_box(serde_json::to_string(&frame).map(|s| s.len()).unwrap_or(0))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
