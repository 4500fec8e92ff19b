//! Side-by-side report: one fixed, seeded workload (a celebrity burst of likes
//! from every region, then a partition and a heal, with loss and duplication
//! on) run under every replication strategy, straight on the simulation — no
//! sockets, no clock — printed as a markdown table.
//!
//! `cargo run --release -p backend --bin compare`

fn main() {
    let rows = shared::compare::compare();
    println!("{}", shared::compare::to_markdown(&rows));
}
