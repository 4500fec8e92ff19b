//! Durable room logs: SQLite (bundled, WAL) under `--data-dir`, written by
//! one thread with group commit.
//!
//! A room *is* its input log (see `shared::sim::replay`), so this is all the
//! server stores: per room its starting configuration (seed included), and
//! every like and control with the simulated time it was taken at.
//!
//! ```text
//! rooms  (id PK, seed, config JSON, format, created, updated,   -- unix seconds
//!         presenter)        -- SHA-256 of the presenter token, or NULL (see `presenter`)
//! inputs (room, seq, at_ms, command JSON, PK (room, seq))
//! bases  (room PK, at_ms, likes JSON)   -- a compacted prefix, see below
//! ```
//!
//! **One writer, group commit.** Rooms send requests over a channel to one
//! thread that owns the only writing connection. It takes whatever has
//! queued up — one request or a thousand — runs it all in one transaction,
//! commits, and only then acknowledges each request to its room. A commit
//! costs one WAL append + fsync whatever its size, so the more load, the
//! bigger the batches, and the latency stays a few milliseconds. The room
//! applies a like to its simulation only when the acknowledgement arrives
//! (see `room`), so nothing a viewer ever saw can be missing from the log.
//! `synchronous=FULL`: a commit survives a power cut, not just `kill -9`.
//!
//! **Reads** (restoring a room) go through the same thread, so they are
//! ordered after every write already queued: a room reopened right after
//! it closed sees its last likes. Rows come back raw; parsing is the room's
//! job, so one unreadable entry is that room's problem alone.
//!
//! **Retention**: at start and every hour, private rooms not used for
//! `retention` are deleted with their log.
//!
//! **Compaction** (the public room, which never expires): the simulation
//! cannot be serialized, so a checkpoint cannot be stored. Instead, once the
//! log grows past a bound, the room folds its oldest inputs — the public
//! room only takes likes — into a *base* (see `base`): how many claps each
//! region took and who likes the post, stamped at the last folded input's
//! time. A restore replays the base at that instant, then the rest of the
//! log. Every acknowledged like is still counted; what is lost is the fine
//! timing of the folded part (when each like was taken), which only the
//! history view of the public room could show. Storage stays bounded by the
//! bound.
//!
//! **One interface, two logs.** Rooms write through [`Store`], a handle on a
//! [`RoomLog`]: this SQLite writer, or with `--redis` the Redis log of
//! `cluster::log`, which keeps the same entries, the same group commit and
//! the same acknowledge-when-durable promise, plus a fencing check.
//!
//! Without `--data-dir` (tests, `Config::default()`), the same thread
//! acknowledges at once and stores nothing.

use futures_util::future::BoxFuture;
use rusqlite::{params, Connection, OptionalExtension};
use shared::protocol::RoomId;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// The stored log's format (rooms.format).
pub const FORMAT: u32 = shared::sim::replay::RUN_FORMAT;

/// The database file inside `--data-dir`.
pub const DB_FILE: &str = "likewise.db";

/// Most requests in one transaction: bounds how long one commit holds
/// the acknowledgements of the first request in it.
const MAX_BATCH: usize = 4096;

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the room database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot create the data directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    #[error("the room database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the storage thread has stopped")]
    Stopped,
}

/// A room's starting point as stored.
#[derive(Debug, Clone)]
pub struct RoomRow {
    pub seed: u64,
    pub config_json: String,
    pub format: u32,
    /// The hash of the room's presenter token; `None`: no presenter.
    pub presenter: Option<String>,
}

/// One stored input, unparsed.
#[derive(Debug, Clone)]
pub struct InputRow {
    pub seq: u64,
    pub at_ms: u64,
    pub command_json: String,
}

/// A compacted prefix: per region (catalog order), likes taken up to `at_ms`.
#[derive(Debug, Clone)]
pub struct BaseRow {
    pub at_ms: u64,
    pub likes_json: String,
}

/// Everything stored about one room.
#[derive(Debug, Clone)]
pub struct Stored {
    pub room: RoomRow,
    pub base: Option<BaseRow>,
    pub inputs: Vec<InputRow>,
}

/// The writer's answer to an append: `seq` is committed, or failed with a
/// sentence for people.
#[derive(Debug, Clone)]
pub struct Committed {
    pub seq: u64,
    pub result: Result<(), String>,
}

enum Request {
    Create {
        room: RoomId,
        row: RoomRow,
    },
    Append {
        room: RoomId,
        input: InputRow,
        ack: mpsc::UnboundedSender<Committed>,
    },
    /// A whole log at once (a fork or an import), acknowledged as one.
    Import {
        room: RoomId,
        row: RoomRow,
        inputs: Vec<InputRow>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Compact {
        room: RoomId,
        through_seq: u64,
        base: BaseRow,
    },
    Load {
        room: RoomId,
        reply: oneshot::Sender<Result<Option<Stored>, String>>,
    },
    /// Runs retention now (tests).
    Purge {
        reply: oneshot::Sender<Result<usize, String>>,
    },
}

/// Where rooms' logs are kept: the one interface a room writes through, so
/// the room does not care whether its log is in SQLite (one machine) or in
/// Redis (several instances, see `cluster::log`). Every implementation keeps
/// the same promise: an append is acknowledged on `ack` only once it is
/// durable, in the order the room appended.
pub trait RoomLog: Send + Sync + 'static {
    /// Whether anything is actually stored.
    fn is_durable(&self) -> bool;
    /// Records a room's starting point (ignored if the room exists).
    fn create(&self, room: &RoomId, row: RoomRow) -> Result<(), StoreError>;
    /// Queues an input; the answer comes on `ack` once it is durable.
    fn append(&self, room: &RoomId, input: InputRow, ack: &mpsc::UnboundedSender<Committed>) -> Result<(), StoreError>;
    /// Folds the log up to `through_seq` into `base`.
    fn compact(&self, room: &RoomId, through_seq: u64, base: BaseRow) -> Result<(), StoreError>;
    /// Stores a whole room (replacing any room of that id).
    fn import(&self, room: &RoomId, row: RoomRow, inputs: Vec<InputRow>) -> BoxFuture<'static, Result<(), String>>;
    /// Everything stored about `room`, ordered after every write queued before.
    fn load(&self, room: &RoomId) -> BoxFuture<'static, Result<Option<Stored>, String>>;
    /// Deletes idle private rooms now; returns how many.
    fn purge(&self) -> BoxFuture<'static, Result<usize, String>>;
}

/// A cheap, cloneable handle to the rooms' storage, whichever it is.
#[derive(Clone)]
pub struct Store {
    log: Arc<dyn RoomLog>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("durable", &self.log.is_durable()).finish()
    }
}

/// The SQLite log: a handle to the storage thread.
#[derive(Debug, Clone)]
struct SqliteLog {
    tx: std_mpsc::Sender<Request>,
    durable: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Request")
    }
}

impl Store {
    /// Opens (creating if needed) the database in `dir` and starts the
    /// writer thread. Fails if the file cannot be opened as a database.
    pub fn open(dir: &Path, retention: Duration) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir { path: dir.to_owned(), source })?;
        let path = dir.join(DB_FILE);
        let conn = open_connection(&path).map_err(|source| StoreError::Open { path: path.clone(), source })?;
        Ok(Store::start(Some(conn), retention))
    }

    /// Stores nothing, acknowledges everything at once.
    pub fn memory() -> Store {
        Store::start(None, Duration::MAX)
    }

    fn start(conn: Option<Connection>, retention: Duration) -> Store {
        let durable = conn.is_some();
        let (tx, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("likewise-store".into())
            .spawn(move || Writer { conn, retention }.run(rx))
            .expect("spawning the storage thread");
        Store::with_log(Arc::new(SqliteLog { tx, durable }))
    }

    /// A store on any [`RoomLog`] (the Redis one, see `cluster`).
    pub fn with_log(log: Arc<dyn RoomLog>) -> Store {
        Store { log }
    }

    /// Whether anything is actually stored.
    pub fn is_durable(&self) -> bool {
        self.log.is_durable()
    }

    pub fn create(&self, room: &RoomId, row: RoomRow) -> Result<(), StoreError> {
        self.log.create(room, row)
    }

    /// Queues an input; the answer comes on `ack` once committed.
    pub fn append(
        &self,
        room: &RoomId,
        input: InputRow,
        ack: &mpsc::UnboundedSender<Committed>,
    ) -> Result<(), StoreError> {
        self.log.append(room, input, ack)
    }

    pub fn compact(&self, room: &RoomId, through_seq: u64, base: BaseRow) -> Result<(), StoreError> {
        self.log.compact(room, through_seq, base)
    }

    /// Stores a whole room (replacing any room of that id) and waits for it.
    pub async fn import(&self, room: &RoomId, row: RoomRow, inputs: Vec<InputRow>) -> Result<(), String> {
        self.log.import(room, row, inputs).await
    }

    /// Everything stored about `room` (`None`: never stored), and marks it
    /// used now (for retention).
    pub async fn load(&self, room: &RoomId) -> Result<Option<Stored>, String> {
        self.log.load(room).await
    }

    /// Deletes idle private rooms now; returns how many.
    pub async fn purge(&self) -> Result<usize, String> {
        self.log.purge().await
    }
}

impl SqliteLog {
    fn send(&self, request: Request) -> Result<(), StoreError> {
        self.tx.send(request).map_err(|_| StoreError::Stopped)
    }

    /// Sends a request that answers on a oneshot, and waits for the answer.
    fn ask<T: Send + 'static>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Request,
    ) -> BoxFuture<'static, Result<T, String>> {
        let (reply, rx) = oneshot::channel();
        let sent = self.send(request(reply));
        Box::pin(async move {
            sent.map_err(|e| e.to_string())?;
            rx.await.map_err(|_| StoreError::Stopped.to_string())?
        })
    }
}

impl RoomLog for SqliteLog {
    fn is_durable(&self) -> bool {
        self.durable
    }

    fn create(&self, room: &RoomId, row: RoomRow) -> Result<(), StoreError> {
        self.send(Request::Create { room: room.clone(), row })
    }

    fn append(&self, room: &RoomId, input: InputRow, ack: &mpsc::UnboundedSender<Committed>) -> Result<(), StoreError> {
        self.send(Request::Append { room: room.clone(), input, ack: ack.clone() })
    }

    fn compact(&self, room: &RoomId, through_seq: u64, base: BaseRow) -> Result<(), StoreError> {
        self.send(Request::Compact { room: room.clone(), through_seq, base })
    }

    fn import(&self, room: &RoomId, row: RoomRow, inputs: Vec<InputRow>) -> BoxFuture<'static, Result<(), String>> {
        let room = room.clone();
        self.ask(move |reply| Request::Import { room, row, inputs, reply })
    }

    fn load(&self, room: &RoomId) -> BoxFuture<'static, Result<Option<Stored>, String>> {
        let room = room.clone();
        self.ask(move |reply| Request::Load { room, reply })
    }

    fn purge(&self) -> BoxFuture<'static, Result<usize, String>> {
        self.ask(|reply| Request::Purge { reply })
    }
}

fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    // A busy reader (another process inspecting the file) must not fail a
    // commit at once.
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the room database is not in WAL mode");
    }
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS rooms (
             id TEXT PRIMARY KEY, seed INTEGER NOT NULL, config TEXT NOT NULL,
             format INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS inputs (
             room TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, command TEXT NOT NULL,
             PRIMARY KEY (room, seq)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS bases (
             room TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, likes TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS rooms_updated ON rooms(updated);",
    )?;
    // Databases from before presenters lack the column: add it (NULL, no
    // presenter, for every room they hold).
    let has_presenter: bool =
        conn.query_row("SELECT COUNT(*) FROM pragma_table_info('rooms') WHERE name = 'presenter'", [], |r| r.get(0))?;
    if !has_presenter {
        conn.execute_batch("ALTER TABLE rooms ADD COLUMN presenter TEXT")?;
    }
    Ok(conn)
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

struct Writer {
    conn: Option<Connection>,
    retention: Duration,
}

/// What to tell whom once the batch's transaction is over.
enum Reply {
    Ack(mpsc::UnboundedSender<Committed>, u64, Result<(), String>),
    Import(oneshot::Sender<Result<(), String>>, Result<(), String>),
}

impl Writer {
    fn run(mut self, rx: std_mpsc::Receiver<Request>) {
        const PURGE_EVERY: Duration = Duration::from_secs(3600);
        let mut next_purge = std::time::Instant::now();
        loop {
            if std::time::Instant::now() >= next_purge {
                if let Err(e) = self.purge() {
                    tracing::error!(error = %e, "room retention failed");
                }
                next_purge = std::time::Instant::now() + PURGE_EVERY;
            }
            let first = match rx.recv_timeout(next_purge.saturating_duration_since(std::time::Instant::now())) {
                Ok(request) => request,
                Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            self.batch(batch);
        }
    }

    /// One transaction for every write in the batch; reads and purges are
    /// answered in order around it.
    fn batch(&mut self, batch: Vec<Request>) {
        let mut replies = Vec::new();
        let mut writes = Vec::new();
        for request in batch {
            match request {
                Request::Load { room, reply } => {
                    // Writes queued before this read go first.
                    self.commit(std::mem::take(&mut writes), &mut replies);
                    let _ = reply.send(self.load(&room).map_err(|e| e.to_string()));
                }
                Request::Purge { reply } => {
                    self.commit(std::mem::take(&mut writes), &mut replies);
                    let _ = reply.send(self.purge().map_err(|e| e.to_string()));
                }
                write => writes.push(write),
            }
        }
        self.commit(writes, &mut replies);
        for reply in replies {
            match reply {
                Reply::Ack(ack, seq, result) => {
                    let _ = ack.send(Committed { seq, result });
                }
                Reply::Import(reply, result) => {
                    let _ = reply.send(result);
                }
            }
        }
    }

    fn commit(&mut self, writes: Vec<Request>, replies: &mut Vec<Reply>) {
        if writes.is_empty() {
            return;
        }
        let Some(conn) = self.conn.as_mut() else {
            for write in writes {
                match write {
                    Request::Append { ack, input, .. } => replies.push(Reply::Ack(ack, input.seq, Ok(()))),
                    Request::Import { reply, .. } => replies.push(Reply::Import(reply, Ok(()))),
                    _ => {}
                }
            }
            return;
        };
        let start = replies.len();
        let outcome = (|| -> Result<(), rusqlite::Error> {
            let mut tx = conn.transaction()?;
            for write in writes {
                // Each write in a savepoint: one that fails (a duplicate
                // seq, a full disk for one big import) fails alone.
                let result = {
                    let sp = tx.savepoint()?;
                    let result = apply(&sp, &write);
                    if result.is_ok() {
                        sp.commit()?;
                    }
                    result.map_err(|e| format!("the room's log could not be stored ({e})"))
                };
                match write {
                    Request::Append { ack, input, .. } => replies.push(Reply::Ack(ack, input.seq, result)),
                    Request::Import { reply, .. } => replies.push(Reply::Import(reply, result)),
                    Request::Create { room, .. } | Request::Compact { room, .. } => {
                        if let Err(e) = result {
                            tracing::error!(room = %room, error = %e, "storage write failed");
                        }
                    }
                    Request::Load { .. } | Request::Purge { .. } => {}
                }
            }
            tx.commit()
        })();
        if let Err(e) = outcome {
            // The transaction did not commit: nothing in it is stored.
            tracing::error!(error = %e, "a storage commit failed");
            let why = format!("the room's log could not be stored ({e})");
            for reply in &mut replies[start..] {
                match reply {
                    Reply::Ack(_, _, result) | Reply::Import(_, result) => *result = Err(why.clone()),
                }
            }
        }
    }

    fn load(&mut self, room: &RoomId) -> Result<Option<Stored>, rusqlite::Error> {
        let Some(conn) = self.conn.as_ref() else { return Ok(None) };
        let row = conn
            .query_row("SELECT seed, config, format, presenter FROM rooms WHERE id = ?1", [room.as_str()], |r| {
                Ok(RoomRow {
                    seed: r.get::<_, i64>(0)? as u64,
                    config_json: r.get(1)?,
                    format: r.get(2)?,
                    presenter: r.get(3)?,
                })
            })
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        conn.execute("UPDATE rooms SET updated = ?2 WHERE id = ?1", params![room.as_str(), unix_now()])?;
        let base = conn
            .query_row("SELECT at_ms, likes FROM bases WHERE room = ?1", [room.as_str()], |r| {
                Ok(BaseRow { at_ms: r.get::<_, i64>(0)? as u64, likes_json: r.get(1)? })
            })
            .optional()?;
        let mut stmt = conn.prepare_cached("SELECT seq, at_ms, command FROM inputs WHERE room = ?1 ORDER BY seq")?;
        let inputs = stmt
            .query_map([room.as_str()], |r| {
                Ok(InputRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    at_ms: r.get::<_, i64>(1)? as u64,
                    command_json: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Stored { room: row, base, inputs }))
    }

    fn purge(&mut self) -> Result<usize, rusqlite::Error> {
        let Some(conn) = self.conn.as_mut() else { return Ok(0) };
        let cutoff = unix_now().saturating_sub(self.retention.as_secs().min(i64::MAX as u64) as i64);
        let tx = conn.transaction()?;
        let public = RoomId::public();
        let idle = "SELECT id FROM rooms WHERE updated < ?1 AND id != ?2";
        tx.execute(&format!("DELETE FROM inputs WHERE room IN ({idle})"), params![cutoff, public.as_str()])?;
        tx.execute(&format!("DELETE FROM bases WHERE room IN ({idle})"), params![cutoff, public.as_str()])?;
        let n = tx.execute("DELETE FROM rooms WHERE updated < ?1 AND id != ?2", params![cutoff, public.as_str()])?;
        tx.commit()?;
        if n > 0 {
            tracing::info!(rooms = n, "deleted rooms idle for longer than the retention");
        }
        Ok(n)
    }
}

fn apply(conn: &Connection, write: &Request) -> Result<(), rusqlite::Error> {
    let now = unix_now();
    match write {
        Request::Create { room, row } => {
            conn.execute(
                "INSERT OR IGNORE INTO rooms (id, seed, config, format, created, updated, presenter) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                params![room.as_str(), row.seed as i64, row.config_json, row.format, now, row.presenter],
            )?;
        }
        Request::Append { room, input, .. } => {
            conn.prepare_cached("INSERT INTO inputs (room, seq, at_ms, command) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![room.as_str(), input.seq as i64, input.at_ms as i64, input.command_json])?;
            conn.prepare_cached("UPDATE rooms SET updated = ?2 WHERE id = ?1")?.execute(params![room.as_str(), now])?;
        }
        Request::Import { room, row, inputs, .. } => {
            conn.execute("DELETE FROM inputs WHERE room = ?1", [room.as_str()])?;
            conn.execute("DELETE FROM bases WHERE room = ?1", [room.as_str()])?;
            conn.execute(
                "INSERT OR REPLACE INTO rooms (id, seed, config, format, created, updated, presenter) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                params![room.as_str(), row.seed as i64, row.config_json, row.format, now, row.presenter],
            )?;
            let mut stmt =
                conn.prepare_cached("INSERT INTO inputs (room, seq, at_ms, command) VALUES (?1, ?2, ?3, ?4)")?;
            for input in inputs {
                stmt.execute(params![room.as_str(), input.seq as i64, input.at_ms as i64, input.command_json])?;
            }
        }
        Request::Compact { room, through_seq, base } => {
            conn.execute(
                "INSERT OR REPLACE INTO bases (room, at_ms, likes) VALUES (?1, ?2, ?3)",
                params![room.as_str(), base.at_ms as i64, base.likes_json],
            )?;
            conn.execute(
                "DELETE FROM inputs WHERE room = ?1 AND seq <= ?2",
                params![room.as_str(), *through_seq as i64],
            )?;
        }
        Request::Load { .. } | Request::Purge { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> RoomRow {
        RoomRow { seed: 7, config_json: "{}".into(), format: FORMAT, presenter: None }
    }

    fn input(seq: u64) -> InputRow {
        InputRow { seq, at_ms: seq * 10, command_json: format!("\"like {seq}\"") }
    }

    #[tokio::test]
    async fn appends_are_acknowledged_in_order_and_one_failure_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Duration::from_secs(3600)).unwrap();
        let room = RoomId::parse("r").unwrap();
        store.create(&room, row()).unwrap();
        let (ack, mut acks) = mpsc::unbounded_channel();
        // Queued back to back, so they share transactions; seq 5 twice.
        for seq in [0, 1, 2, 3, 4, 5, 5, 6] {
            store.append(&room, input(seq), &ack).unwrap();
        }
        let mut got = Vec::new();
        for _ in 0..8 {
            let c = tokio::time::timeout(Duration::from_secs(5), acks.recv()).await.unwrap().unwrap();
            got.push((c.seq, c.result.is_ok()));
        }
        let expected = [(0, true), (1, true), (2, true), (3, true), (4, true), (5, true), (5, false), (6, true)];
        assert_eq!(got, expected);
        let stored = store.load(&room).await.unwrap().unwrap();
        let seqs: Vec<u64> = stored.inputs.iter().map(|i| i.seq).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(stored.inputs[6].command_json, "\"like 6\"");
        assert_eq!(stored.room.seed, 7);
        // An import replaces the room whole; a compaction folds a prefix.
        store.import(&room, row(), vec![input(0), input(1), input(2)]).await.unwrap();
        store.compact(&room, 1, BaseRow { at_ms: 10, likes_json: "[2,0,0,0,0,0]".into() }).unwrap();
        let stored = store.load(&room).await.unwrap().unwrap();
        assert_eq!(stored.inputs.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![2]);
        assert_eq!(stored.base.unwrap().likes_json, "[2,0,0,0,0,0]");
        assert!(store.load(&RoomId::parse("never").unwrap()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_memory_store_acknowledges_and_remembers_nothing() {
        let store = Store::memory();
        let room = RoomId::parse("m").unwrap();
        let (ack, mut acks) = mpsc::unbounded_channel();
        store.append(&room, input(0), &ack).unwrap();
        assert!(acks.recv().await.unwrap().result.is_ok());
        assert!(store.load(&room).await.unwrap().is_none());
        assert!(!store.is_durable());
    }
}
