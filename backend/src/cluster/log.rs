//! The rooms' durable logs in Redis: the same entries the SQLite store
//! writes (see `store`), behind the same [`RoomLog`] trait, so a room
//! neither knows nor cares which one it writes through.
//!
//! Per room, every key under one hash tag (`lw:{<room>}:…`), so a room's
//! keys share a Redis Cluster slot and one Lua script may touch them all:
//!
//! ```text
//! lw:{room}:meta   hash    seed, config, format,         -- the starting point
//!                          presenter (token hash, if any; see `presenter`)
//! lw:{room}:log    stream  id "<seq>-1", fields at, cmd  -- the inputs, in order
//! lw:{room}:base   hash    at_ms, likes                  -- a compacted prefix
//! lw:{room}:owner  string  the lease: the owner's fencing token (see `cluster`)
//! ```
//!
//! **Fencing.** Every write is a Lua script that first checks that the
//! room's lease still holds *this* instance's token, and writes nothing if
//! not — atomically, since Redis runs a script alone. An owner that lost
//! its lease (paused, partitioned, slow) therefore cannot append after the
//! new owner loaded the log: its appends come back refused and the room
//! never shows them (a room applies an input only once it is acknowledged).
//! The stream's explicit ids (`<seq>-1`) make a duplicate or out-of-order
//! seq an error too, as the SQLite primary key does.
//!
//! **Group commit**, as in SQLite: one task takes whatever requests queued
//! up and sends them as one pipeline (one round trip), then acknowledges
//! each. Durability is whatever the Redis server is configured for: with
//! `appendonly yes` + `appendfsync always`, an acknowledged append is on
//! disk, as with SQLite's `synchronous=FULL`; with `everysec` up to a second
//! of acknowledged likes can be lost if *Redis* crashes (an instance
//! crashing loses nothing either way).
//!
//! **Retention**: private rooms' keys carry a TTL of `retention`, renewed
//! by every append and load, so Redis forgets idle rooms by itself.

use crate::cluster::Leases;
use crate::store::{BaseRow, Committed, InputRow, RoomLog, RoomRow, StoreError, Stored};
use futures_util::future::BoxFuture;
use redis::aio::ConnectionManager;
use redis::{Cmd, RedisResult, Script, Value};
use shared::protocol::RoomId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most requests in one pipeline.
const MAX_BATCH: usize = 1024;

/// Inputs per script call when a whole log is imported.
const IMPORT_CHUNK: usize = 1000;

/// What an append says when this instance does not hold the room's lease.
pub const NOT_OWNER: &str =
    "this server no longer owns the room (another instance took it over); reconnect and try again";

/// A room's key for `what` (`meta`, `log`, `base`, `owner`, …).
pub fn key(room: &RoomId, what: &str) -> String {
    format!("lw:{{{room}}}:{what}")
}

/// Appends inputs if the caller holds the lease.
/// KEYS: owner, log, meta, base. ARGV: token, retention ms (0: none), then
/// (seq, at, cmd) per input. Returns 1, 0 (not the owner), or -1 (a seq not
/// after the last one; nothing from it on is written).
const APPEND: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 3 do
  local ok = redis.pcall('XADD', KEYS[2], ARGV[i] .. '-1', 'at', ARGV[i + 1], 'cmd', ARGV[i + 2])
  if type(ok) == 'table' and ok.err then return -1 end
end
if ARGV[2] ~= '0' then
  for k = 2, 4 do redis.call('PEXPIRE', KEYS[k], ARGV[2]) end
end
return 1
"#;

/// Records the starting point once (fenced).
/// KEYS: owner, meta. ARGV: token, seed, config, format, retention ms,
/// presenter hash ('' for none).
const CREATE: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'seed', ARGV[2], 'config', ARGV[3], 'format', ARGV[4])
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'presenter', ARGV[6]) end
end
if ARGV[5] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
return 1
"#;

/// Folds the log up to a seq into the base (fenced).
/// KEYS: owner, log, base. ARGV: token, first seq kept, at_ms, likes.
const COMPACT: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[3], 'at_ms', ARGV[3], 'likes', ARGV[4])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[2] .. '-0')
return 1
"#;

/// Replaces a room whole before its inputs are appended (fenced).
/// KEYS: owner, meta, log, base. ARGV: token, seed, config, format,
/// presenter hash ('' for none).
const RESET: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[2], 'seed', ARGV[2], 'config', ARGV[3], 'format', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'presenter', ARGV[5]) end
return 1
"#;

struct Scripts {
    append: Script,
    create: Script,
    compact: Script,
    reset: Script,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            append: Script::new(APPEND),
            create: Script::new(CREATE),
            compact: Script::new(COMPACT),
            reset: Script::new(RESET),
        }
    }

    /// Loads every script (after a Redis restart forgot them).
    async fn load(&self, conn: &mut ConnectionManager) -> RedisResult<()> {
        for script in [&self.append, &self.create, &self.compact, &self.reset] {
            script.load_async(conn).await?;
        }
        Ok(())
    }
}

/// `EVALSHA` of `script` — pipelined, so not through `Script::invoke`.
fn evalsha(script: &Script, keys: &[String], args: Vec<Vec<u8>>) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(script.get_hash()).arg(keys.len()).arg(keys);
    for a in args {
        cmd.arg(a);
    }
    cmd
}

enum Request {
    Create { room: RoomId, row: RoomRow },
    Append { room: RoomId, input: InputRow, ack: mpsc::UnboundedSender<Committed> },
    Compact { room: RoomId, through_seq: u64, base: BaseRow },
    Import { room: RoomId, row: RoomRow, inputs: Vec<InputRow>, reply: oneshot::Sender<Result<(), String>> },
    Load { room: RoomId, reply: oneshot::Sender<Result<Option<Stored>, String>> },
}

/// The Redis log: a handle to its writer task.
pub struct RedisLog {
    tx: mpsc::UnboundedSender<Request>,
}

impl RedisLog {
    /// Starts the writer task on `conn`. `leases` says which rooms this
    /// instance owns and under which token.
    pub async fn start(mut conn: ConnectionManager, leases: Arc<Leases>, retention: Duration) -> RedisResult<RedisLog> {
        let scripts = Scripts::new();
        scripts.load(&mut conn).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Writer { conn, leases, scripts, retention_ms: retention.as_millis().min(u64::MAX as u128) as u64 };
        tokio::spawn(writer.run(rx));
        Ok(RedisLog { tx })
    }

    fn send(&self, request: Request) -> Result<(), StoreError> {
        self.tx.send(request).map_err(|_| StoreError::Stopped)
    }
}

impl RoomLog for RedisLog {
    fn is_durable(&self) -> bool {
        true
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
        let (reply, rx) = oneshot::channel();
        let sent = self.send(Request::Import { room: room.clone(), row, inputs, reply });
        Box::pin(async move {
            sent.map_err(|e| e.to_string())?;
            rx.await.map_err(|_| StoreError::Stopped.to_string())?
        })
    }

    fn load(&self, room: &RoomId) -> BoxFuture<'static, Result<Option<Stored>, String>> {
        let (reply, rx) = oneshot::channel();
        let sent = self.send(Request::Load { room: room.clone(), reply });
        Box::pin(async move {
            sent.map_err(|e| e.to_string())?;
            rx.await.map_err(|_| StoreError::Stopped.to_string())?
        })
    }

    /// Redis expires idle rooms by itself (see the module doc).
    fn purge(&self) -> BoxFuture<'static, Result<usize, String>> {
        Box::pin(async { Ok(0) })
    }
}

struct Writer {
    conn: ConnectionManager,
    leases: Arc<Leases>,
    scripts: Scripts,
    retention_ms: u64,
}

/// Who waits for one pipelined write.
enum Waiter {
    Ack(mpsc::UnboundedSender<Committed>, u64),
    /// Nobody: a failure is logged with this description.
    Log(&'static str, RoomId),
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Request>) {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let mut writes = Vec::new();
            for request in batch {
                match request {
                    Request::Load { room, reply } => {
                        // Writes queued before this read go first.
                        self.commit(std::mem::take(&mut writes)).await;
                        let _ = reply.send(self.load(&room).await.map_err(|e| format!("Redis failed ({e})")));
                    }
                    Request::Import { room, row, inputs, reply } => {
                        self.commit(std::mem::take(&mut writes)).await;
                        let _ = reply.send(self.import(&room, row, inputs).await);
                    }
                    write => writes.push(write),
                }
            }
            self.commit(writes).await;
        }
    }

    /// Private rooms expire; the public room never does.
    fn retention(&self, room: &RoomId) -> u64 {
        if room.is_public() {
            0
        } else {
            self.retention_ms
        }
    }

    /// One pipeline for the whole batch; then each waiter hears its result.
    async fn commit(&mut self, writes: Vec<Request>) {
        if writes.is_empty() {
            return;
        }
        let mut cmds = Vec::new();
        let mut waiters = Vec::new();
        for write in writes {
            match write {
                Request::Append { room, input, ack } => {
                    let Some(token) = self.leases.token(&room) else {
                        let _ = ack.send(Committed { seq: input.seq, result: Err(NOT_OWNER.into()) });
                        continue;
                    };
                    let args = vec![
                        token.into_bytes(),
                        self.retention(&room).to_string().into_bytes(),
                        input.seq.to_string().into_bytes(),
                        input.at_ms.to_string().into_bytes(),
                        input.command_json.into_bytes(),
                    ];
                    cmds.push(evalsha(
                        &self.scripts.append,
                        &room_keys(&room, &["owner", "log", "meta", "base"]),
                        args,
                    ));
                    waiters.push(Waiter::Ack(ack, input.seq));
                }
                Request::Create { room, row } => {
                    let Some(token) = self.leases.token(&room) else { continue };
                    let args = vec![
                        token.into_bytes(),
                        row.seed.to_string().into_bytes(),
                        row.config_json.into_bytes(),
                        row.format.to_string().into_bytes(),
                        self.retention(&room).to_string().into_bytes(),
                        row.presenter.unwrap_or_default().into_bytes(),
                    ];
                    cmds.push(evalsha(&self.scripts.create, &room_keys(&room, &["owner", "meta"]), args));
                    waiters.push(Waiter::Log("creating the room", room));
                }
                Request::Compact { room, through_seq, base } => {
                    let Some(token) = self.leases.token(&room) else { continue };
                    let args = vec![
                        token.into_bytes(),
                        (through_seq + 1).to_string().into_bytes(),
                        base.at_ms.to_string().into_bytes(),
                        base.likes_json.into_bytes(),
                    ];
                    cmds.push(evalsha(&self.scripts.compact, &room_keys(&room, &["owner", "log", "base"]), args));
                    waiters.push(Waiter::Log("compacting the log", room));
                }
                Request::Import { .. } | Request::Load { .. } => {}
            }
        }
        let results = self.pipeline(&cmds).await;
        for (waiter, result) in waiters.into_iter().zip(results) {
            let result = match result {
                Ok(1) => Ok(()),
                Ok(0) => Err(NOT_OWNER.to_owned()),
                Ok(_) => Err("the room's log could not be stored (an entry out of order)".to_owned()),
                Err(e) => Err(format!("the room's log could not be stored (Redis: {e})")),
            };
            match waiter {
                Waiter::Ack(ack, seq) => {
                    let _ = ack.send(Committed { seq, result });
                }
                Waiter::Log(what, room) => {
                    if let Err(e) = result {
                        tracing::error!(room = %room, error = %e, "{what} failed");
                    }
                }
            }
        }
    }

    /// Runs `cmds` as one pipeline, each with its own result; scripts Redis
    /// forgot (it restarted) are loaded again and their commands re-run
    /// (a NOSCRIPT command did nothing, so re-running it is safe).
    async fn pipeline(&mut self, cmds: &[Cmd]) -> Vec<RedisResult<i64>> {
        let mut results = run_pipeline(&mut self.conn, cmds.iter()).await;
        let again: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Err(e) if e.code() == Some("NOSCRIPT")))
            .map(|(i, _)| i)
            .collect();
        if !again.is_empty() {
            if let Err(e) = self.scripts.load(&mut self.conn).await {
                tracing::error!(error = %e, "cannot load the log scripts into Redis");
                return results;
            }
            let retried = run_pipeline(&mut self.conn, again.iter().map(|&i| &cmds[i])).await;
            for (i, r) in again.into_iter().zip(retried) {
                results[i] = r;
            }
        }
        results
    }

    async fn import(&mut self, room: &RoomId, row: RoomRow, inputs: Vec<InputRow>) -> Result<(), String> {
        let Some(token) = self.leases.token(room) else { return Err(NOT_OWNER.into()) };
        let mut cmds = vec![evalsha(
            &self.scripts.reset,
            &room_keys(room, &["owner", "meta", "log", "base"]),
            vec![
                token.clone().into_bytes(),
                row.seed.to_string().into_bytes(),
                row.config_json.into_bytes(),
                row.format.to_string().into_bytes(),
                row.presenter.unwrap_or_default().into_bytes(),
            ],
        )];
        for chunk in inputs.chunks(IMPORT_CHUNK) {
            let mut args = vec![token.clone().into_bytes(), self.retention(room).to_string().into_bytes()];
            for input in chunk {
                args.push(input.seq.to_string().into_bytes());
                args.push(input.at_ms.to_string().into_bytes());
                args.push(input.command_json.clone().into_bytes());
            }
            cmds.push(evalsha(&self.scripts.append, &room_keys(room, &["owner", "log", "meta", "base"]), args));
        }
        // In order, so a refusal stops the import where it happened.
        for result in self.pipeline(&cmds).await {
            match result {
                Ok(1) => {}
                Ok(0) => return Err(NOT_OWNER.into()),
                Ok(_) => return Err("the imported log is out of order".into()),
                Err(e) => return Err(format!("the room's log could not be stored (Redis: {e})")),
            }
        }
        Ok(())
    }

    async fn load(&mut self, room: &RoomId) -> RedisResult<Option<Stored>> {
        let mut pipe = redis::pipe();
        pipe.cmd("HGETALL").arg(key(room, "meta"));
        pipe.cmd("HGETALL").arg(key(room, "base"));
        pipe.cmd("XRANGE").arg(key(room, "log")).arg("-").arg("+");
        let (meta, base, entries): (Fields, Fields, Vec<(String, Fields)>) = pipe.query_async(&mut self.conn).await?;
        if meta.is_empty() {
            return Ok(None);
        }
        // Loading counts as use (retention).
        let ttl = self.retention(room);
        if ttl > 0 {
            let mut pipe = redis::pipe();
            for what in ["meta", "log", "base"] {
                pipe.cmd("PEXPIRE").arg(key(room, what)).arg(ttl).ignore();
            }
            pipe.query_async::<()>(&mut self.conn).await?;
        }
        // Rows come back raw, as from SQLite; a field that does not parse
        // becomes a value the room's restore rejects with a clear reason.
        let num = |s: Option<&String>| s.and_then(|s| s.parse::<u64>().ok());
        let room_row = crate::store::RoomRow {
            seed: num(meta.get("seed")).unwrap_or(0),
            config_json: meta.get("config").cloned().unwrap_or_default(),
            format: num(meta.get("format")).and_then(|f| u32::try_from(f).ok()).unwrap_or(0),
            presenter: meta.get("presenter").cloned(),
        };
        let base = (!base.is_empty()).then(|| BaseRow {
            at_ms: num(base.get("at_ms")).unwrap_or(0),
            likes_json: base.get("likes").cloned().unwrap_or_default(),
        });
        let inputs = entries
            .into_iter()
            .map(|(id, fields)| InputRow {
                seq: id.split('-').next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX),
                at_ms: num(fields.get("at")).unwrap_or(0),
                command_json: fields.get("cmd").cloned().unwrap_or_default(),
            })
            .collect();
        Ok(Some(Stored { room: room_row, base, inputs }))
    }
}

/// A Redis hash, or a stream entry's fields.
type Fields = HashMap<String, String>;

fn room_keys(room: &RoomId, what: &[&str]) -> Vec<String> {
    what.iter().map(|w| key(room, w)).collect()
}

/// One round trip for `cmds`, each answered alone (a failed one does not
/// fail the others). A failure of the whole round trip fails each.
async fn run_pipeline<'a>(conn: &mut ConnectionManager, cmds: impl Iterator<Item = &'a Cmd>) -> Vec<RedisResult<i64>> {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let mut n = 0;
    for cmd in cmds {
        pipe.add_command(cmd.clone());
        n += 1;
    }
    if n == 0 {
        return Vec::new();
    }
    match pipe.query_async::<Vec<Value>>(conn).await {
        Ok(values) => {
            let mut out: Vec<RedisResult<i64>> = values
                .into_iter()
                .map(|v| match v {
                    Value::Int(i) => Ok(i),
                    Value::ServerError(e) => Err(e.into()),
                    other => Err(redis::RedisError::from((
                        redis::ErrorKind::UnexpectedReturnType,
                        "a log script answered",
                        format!("{other:?}"),
                    ))),
                })
                .collect();
            out.resize_with(n, || Err(redis::RedisError::from((redis::ErrorKind::Io, "no answer"))));
            out
        }
        Err(e) => (0..n).map(|_| Err(e.clone())).collect(),
    }
}
