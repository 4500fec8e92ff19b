//! The room registry: finds a room's task by id, starts it on first join,
//! and forgets it when the task ends.
//!
//! This is the one place with a lock, and it is held only to look up or
//! insert a handle — never across an `.await`, never while a room works.
//! Each entry carries a generation number so that a room task that expires
//! removes *its own* entry and not a newer room that took the same id.
//!
//! The public room is special: it is what `/` shows everyone, so it never
//! counts against `--max-rooms` nor against anyone's new-room budget — a
//! server full of private rooms still opens it.

use crate::cluster::{self, Cluster};
use crate::limits::AddressRefusal;
use crate::presenter;
use crate::room::{self, JoinFailure, Joined, RoomFull, RoomHandle, RoomSettings, Start};
use crate::store::Store;
use shared::protocol::RoomId;
use shared::sim::replay::Run;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why a viewer could not join. Each text is shown to the client as a
/// WebSocket close reason, so it stays under 123 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("the server is hosting its maximum of {0} rooms; try again later")]
    TooManyRooms(usize),
    #[error("the room could not be started; try again")]
    Unavailable,
    #[error(transparent)]
    RoomFull(#[from] RoomFull),
    /// The caller's new-room budget said no.
    #[error(transparent)]
    Refused(#[from] AddressRefusal),
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    handle: RoomHandle,
}

#[derive(Debug, Default)]
struct Inner {
    rooms: HashMap<RoomId, Entry>,
    next_generation: u64,
}

/// All live rooms.
#[derive(Debug)]
pub struct Rooms {
    inner: Mutex<Inner>,
    settings: RoomSettings,
    max_rooms: usize,
    store: Store,
    /// With `--redis`: rooms are cluster nodes (see `cluster`).
    cluster: Option<Arc<Cluster>>,
}

impl Rooms {
    pub fn new(settings: RoomSettings, max_rooms: usize, store: Store) -> Arc<Rooms> {
        Arc::new(Rooms { inner: Mutex::default(), settings, max_rooms, store, cluster: None })
    }

    /// Rooms shared with other instances through Redis: each room here is
    /// a node that runs the room or relays it (see `cluster::node`).
    pub fn clustered(settings: RoomSettings, max_rooms: usize, cluster: Arc<Cluster>) -> Arc<Rooms> {
        let store = cluster.store();
        Arc::new(Rooms { inner: Mutex::default(), settings, max_rooms, store, cluster: Some(cluster) })
    }

    /// Starts a new private room from `run` (a fork, an import, or an empty
    /// run for `POST /api/rooms`) under a fresh random id, and returns the
    /// id and the room's presenter token, for whoever asked (see
    /// `presenter`: this is the one way a room gets a presenter). The room
    /// stores the run and the token's hash before it takes anyone in.
    pub fn start_new(self: &Arc<Self>, run: Run) -> Result<(RoomId, presenter::Token), JoinError> {
        let mut inner = self.lock();
        if self.full(&inner) {
            return Err(JoinError::TooManyRooms(self.max_rooms));
        }
        let id = loop {
            let id = new_room_id();
            if !inner.rooms.contains_key(&id) {
                break id;
            }
        };
        let token = presenter::issue();
        self.spawn_into(&mut inner, &id, Start::Preloaded(run, token.hash()));
        Ok((id, token))
    }

    /// Joins room `id`, starting it if it is not running. Before starting a
    /// private room, `may_start` is asked (the caller's new-room budget).
    pub async fn join(
        self: &Arc<Self>,
        id: &RoomId,
        mut may_start: impl FnMut() -> Result<(), AddressRefusal>,
    ) -> Result<Joined, JoinError> {
        // Two attempts: the first may hit a room that expired between the
        // lookup and the join; the second then starts a fresh one.
        for _ in 0..2 {
            let handle = self.get_or_start(id, &mut may_start)?;
            match handle.join().await {
                Ok(joined) => return Ok(joined),
                Err(JoinFailure::Full(full)) => return Err(full.into()),
                Err(JoinFailure::Closed) => continue,
            }
        }
        Err(JoinError::Unavailable)
    }

    fn get_or_start(
        self: &Arc<Self>,
        id: &RoomId,
        may_start: &mut impl FnMut() -> Result<(), AddressRefusal>,
    ) -> Result<RoomHandle, JoinError> {
        let mut inner = self.lock();
        if let Some(entry) = inner.rooms.get(id) {
            if !entry.handle.is_closed() {
                return Ok(entry.handle.clone());
            }
            inner.rooms.remove(id);
        }
        if !id.is_public() {
            if self.full(&inner) {
                return Err(JoinError::TooManyRooms(self.max_rooms));
            }
            // Asked last, so a refusal for another reason does not use up
            // the caller's budget.
            may_start()?;
        }
        Ok(self.spawn_into(&mut inner, id, Start::Open))
    }

    /// Called by a room's task as it ends.
    /// Whether `--max-rooms` private rooms are running (the public room never
    /// counts against the cap).
    fn full(&self, inner: &Inner) -> bool {
        let public_open = inner.rooms.contains_key(&RoomId::public());
        inner.rooms.len() - usize::from(public_open) >= self.max_rooms
    }

    /// Starts the room task for `id` under a fresh generation and registers it.
    fn spawn_into(self: &Arc<Self>, inner: &mut Inner, id: &RoomId, start: Start) -> RoomHandle {
        inner.next_generation += 1;
        let generation = inner.next_generation;
        let (settings, registry, store) = (self.settings.clone(), Arc::downgrade(self), self.store.clone());
        let handle = match &self.cluster {
            Some(cluster) => {
                cluster::node::spawn(cluster.clone(), id.clone(), generation, settings, registry, store, start)
            }
            None => room::spawn(id.clone(), generation, settings, registry, store, start),
        };
        inner.rooms.insert(id.clone(), Entry { generation, handle: handle.clone() });
        handle
    }

    pub(crate) fn remove(&self, id: &RoomId, generation: u64) {
        let mut inner = self.lock();
        if inner.rooms.get(id).is_some_and(|e| e.generation == generation) {
            inner.rooms.remove(id);
        }
    }

    /// How many rooms are running.
    pub fn len(&self) -> usize {
        self.lock().rooms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the map half-updated
        // (every critical section is a single insert or remove), so a
        // poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A new private room's id: 22 random characters of `[A-Za-z0-9]` (like the
/// page's "New room"), ~131 bits, so ids cannot be guessed.
pub fn new_room_id() -> RoomId {
    use rand::distr::{Alphanumeric, SampleString};
    let id = Alphanumeric.sample_string(&mut rand::rng(), 22);
    RoomId::parse(&id).expect("22 alphanumerics are a valid room id")
}
