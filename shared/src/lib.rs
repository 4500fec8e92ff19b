//! # Likewise: how a replicated like counter works
//!
//! One post, one like counter, a copy (a *replica*) of it in each of several
//! world regions. A reader in Tokyo reads Tokyo's copy; a like clicked in
//! Tokyo is taken by Tokyo at once, without asking anyone. That is what makes
//! the system fast and always available — and it is also why, for a moment,
//! Virginia still shows the old number. The copies *diverge*.
//!
//! They must then *converge*: every like has to reach every region
//! (**update propagation**), two likes taken at the same time in two places
//! must both survive (**conflict resolution**), and once the likes stop and
//! the messages land, every region must show the same, correct number
//! (**convergence**). A system that guarantees that last part, without
//! guaranteeing *when*, is *eventually consistent*.
//!
//! Read this crate in this order:
//! 1. [`region`] — the regions and the delays between them.
//! 2. [`crdt`] — the conflict-free data types: the grow-only counter, which
//!    makes concurrent likes merge without loss or double counting, and the
//!    set of people who like the post, where a concurrent like and unlike
//!    need a rule (add-wins or remove-wins). [`people`] says who clicked:
//!    anonymous ids, generated names, home regions.
//! 3. [`kernel`] — simulated time, the messages replicas exchange, the
//!    network that carries them, and the context a strategy acts through.
//! 4. [`strategy`] — how replicas tell each other about likes: five
//!    replication patterns, one file each.
//! 5. [`sim`] — a deterministic simulation of one room: the world (clock,
//!    network, faults), the ledger (the ground truth and every measurement),
//!    the data type of a like (claps, or a set of people: what the
//!    operations a replica holds mean) and the verdict, judged only once
//!    nothing can change any more.
//! 6. [`protocol`] — the messages between the browser and the server, and
//!    the view of a room that every frame carries.
//! 7. [`compare`] — one workload under every strategy, over many seeds.
//! 8. [`saga`] — a super like across three services, with compensation:
//!    the pattern for a business action no single transaction can span.
//! 9. [`scenario`] — guided stories the room plays by itself: a cut cable,
//!    a crash, a skewed clock, each with the end state it promises.
//!
//! The crate is pure: no I/O, no clock, no threads. It compiles to native code
//! for the server and to WebAssembly for the browser, and it is tested
//! without either.

#![warn(unreachable_pub)]

pub mod compare;
pub mod crdt;
pub mod kernel;
pub mod people;
pub mod protocol;
pub mod region;
pub mod saga;
pub mod scenario;
pub mod sim;
pub mod strategy;
