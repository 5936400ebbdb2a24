//! The embedded SQLite backend of the Rempart storage port.
//!
//! One writer connection behind a mutex serialises every write, each of which is a single
//! `BEGIN IMMEDIATE` transaction; a small pool of reader connections serves reads concurrently
//! from WAL snapshots. The database runs with `synchronous=FULL`, so a write that returned `Ok`
//! survives a crash or a power loss.
//!
//! This file holds the connection handling; the repository traits are implemented in
//! `accounts`, `rooms` (with `events` and `state`) and `streams`; the schema lives in
//! `migrations/` and is applied by `schema`.

mod accounts;
mod backup;
mod events;
mod keys;
mod media;
mod pushers;
mod room_admin;
mod rooms;
mod schema;
mod sessions;
mod snapshot;
mod state;
mod state_cache;
mod streams;
mod to_device;

use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rempart_storage::{Result, StorageError};
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior, config::DbConfig, ffi};

/// Reader connections kept open for a file-backed store.
const READERS: usize = 4;
/// How long a connection waits for a lock held by another process (or a checkpoint).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements cached per connection; the hot paths use fewer than this.
const STATEMENT_CACHE: usize = 64;

/// A Rempart store backed by one SQLite database.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    /// `None` for in-memory stores: their reads go to the writer, the only connection that sees
    /// the data.
    readers: Option<ReaderPool>,
    state_cache: state_cache::StateLookupCache,
}

struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

/// A reader checked out of the pool; it goes back when dropped.
struct Reader<'a> {
    pool: &'a ReaderPool,
    conn: Option<Connection>,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A poisoned pool lock only means another thread panicked while pushing or popping;
            // the vector itself is still valid.
            let mut idle = self.pool.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            idle.push(conn);
            self.pool.returned.notify_one();
        }
    }
}

impl Reader<'_> {
    /// The connection, outside any transaction: one left open by a failed `ROLLBACK` is
    /// finished here rather than failing every later `BEGIN` on it.
    fn ready(&mut self) -> Result<&mut Connection> {
        let conn = self.conn.as_mut().ok_or_else(|| StorageError::Backend("reader already returned".into()))?;
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").map_err(backend)?;
        }
        Ok(conn)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StorageError::Backend(format!("creating {}: {e}", parent.display())))?;
        }
        let mut writer = Connection::open(path).map_err(backend)?;
        configure(&writer)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Without WAL, readers would block the writer and the pool would be pointless.
            return Err(StorageError::Backend(format!("could not enable WAL mode (journal_mode is {mode})")));
        }
        schema::migrate(&mut writer)?;

        let mut idle = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(path, OpenFlags::default()).map_err(backend)?;
            configure(&reader)?;
            // Readers never write: a bug that tried would otherwise bypass the writer lock.
            reader.pragma_update(None, "query_only", true).map_err(backend)?;
            idle.push(reader);
        }
        Ok(Self {
            writer: Mutex::new(writer),
            readers: Some(ReaderPool { idle: Mutex::new(idle), returned: Condvar::new() }),
            state_cache: Default::default(),
        })
    }

    /// Opens a fresh, empty in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self> {
        // A private `:memory:` database is only visible to its own connection, so this store has
        // no readers and routes reads to the writer.
        let mut writer = Connection::open_in_memory().map_err(backend)?;
        configure(&writer)?;
        schema::migrate(&mut writer)?;
        Ok(Self { writer: Mutex::new(writer), readers: None, state_cache: Default::default() })
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer, committing when it
    /// returns `Ok` and rolling back otherwise.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock_writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let value = f(&tx)?;
        tx.commit().map_err(backend)?;
        Ok(value)
    }

    /// Runs `f` inside one read transaction, so that a method issuing several queries sees a
    /// single consistent snapshot even while the writer commits. Inside
    /// [`Snapshots::snapshot`](rempart_storage::Snapshots::snapshot) that is the snapshot's
    /// transaction.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let Some(pool) = &self.readers else {
            let mut conn = self.lock_writer()?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(backend)?;
            return f(&tx);
        };
        let f = match snapshot::with_pinned(self.id(), f) {
            Ok(result) => return result,
            Err(f) => f,
        };
        let mut reader = checkout(pool);
        // The transaction rolls back when dropped, a panic in `f` included, and the reader
        // then goes back to the pool.
        let tx = reader.ready()?.transaction_with_behavior(TransactionBehavior::Deferred).map_err(backend)?;
        f(&tx)
    }

    /// The state-lookup cache generation for an answer about to be read: the one in force
    /// when the pinned snapshot began, if there is one.
    fn read_generation(&self) -> u64 {
        snapshot::pinned_generation(self.id()).unwrap_or_else(|| self.state_cache.generation())
    }

    /// Identifies this store among those open in the process (tests open several).
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    fn lock_writer(&self) -> Result<MutexGuard<'_, Connection>> {
        // A panic while the lock was held unwound through the `Transaction`, whose drop rolled
        // it back, so the connection is still usable. Should that rollback itself have failed,
        // finish it here rather than fail every later write with "transaction within a
        // transaction".
        let conn = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").map_err(backend)?;
        }
        Ok(conn)
    }
}

impl rempart_storage::Snapshots for SqliteStore {
    fn snapshot(&self, reads: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        // In-memory stores read on the writer; a snapshot already pinned (nested, or of another
        // store) stays the one in force.
        let Some(pool) = &self.readers else { return reads() };
        if snapshot::is_pinned() {
            return reads();
        }
        let _pin = snapshot::PinGuard::begin(self.id(), checkout(pool), self.state_cache.generation())?;
        reads()
    }
}

fn checkout(pool: &ReaderPool) -> Reader<'_> {
    // As in `Reader::drop`, a poisoned lock still guards a valid vector.
    let mut idle = pool.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        if let Some(conn) = idle.pop() {
            return Reader { pool, conn: Some(conn) };
        }
        idle = pool.returned.wait(idle).unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // FULL (not NORMAL) in WAL mode syncs the log on every commit: an acknowledged write must
    // survive a power loss, not only a process crash.
    conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
    conn.pragma_update(None, "foreign_keys", true).map_err(backend)?;
    // Without the planner stability guarantee, a statement whose plan looked at a bound value
    // (every query on `events`: its partial index is checked against the WHERE clause) is
    // compiled again whenever that value changes, which was a tenth of a sync's CPU time.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
    Ok(())
}

/// Maps a database error, turning uniqueness violations into [`StorageError::Conflict`].
pub(crate) fn backend(err: rusqlite::Error) -> StorageError {
    if let rusqlite::Error::SqliteFailure(inner, _) = &err
        && inner.code == ErrorCode::ConstraintViolation
        && matches!(inner.extended_code, ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    {
        return StorageError::Conflict(err.to_string());
    }
    StorageError::Backend(err.to_string())
}

/// Reports stored data that does not decode.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

/// SQLite integers are signed; timestamps and depths beyond `i64::MAX` cannot be stored.
pub(crate) fn to_i64(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| StorageError::Backend(format!("{value} does not fit in a database integer")))
}

/// The inverse of [`to_i64`]; a negative stored value is corruption.
pub(crate) fn to_u64(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| corrupt(format!("negative value {value} where an unsigned one was stored")))
}

/// Parses a stored identifier (user, room, event, device ids ...).
pub(crate) fn parse_id<T: TryFrom<String>>(value: String, what: &str) -> Result<T> {
    T::try_from(value.clone()).map_err(|_| corrupt(format!("invalid {what} {value:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> Result<i64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).map_err(backend)
    }

    #[test]
    fn file_store_is_durable_and_concurrent() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StorageError::Backend(e.to_string()))?;
        let store = SqliteStore::open(&dir.path().join("db.sqlite"))?;
        let writer = store.lock_writer()?;
        let mode: String = writer.query_row("PRAGMA journal_mode", [], |r| r.get(0)).map_err(backend)?;
        assert_eq!(mode, "wal");
        assert_eq!(pragma(&writer, "synchronous")?, 2, "FULL");
        assert_eq!(pragma(&writer, "foreign_keys")?, 1);
        drop(writer);
        let pool = store.readers.as_ref().ok_or_else(|| StorageError::Backend("no pool".into()))?;
        let reader = checkout(pool);
        let conn = reader.conn.as_ref().ok_or_else(|| StorageError::Backend("no reader".into()))?;
        assert_eq!(pragma(conn, "query_only")?, 1);
        assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG).map_err(backend)?, "plans stay put");
        assert!(conn.execute("DELETE FROM users", []).is_err(), "readers cannot write");
        Ok(())
    }

    #[test]
    fn sqlite_is_built_without_process_wide_allocation_locks() -> Result<()> {
        // Set in .cargo/config.toml: without it every query of every reader contends on
        // SQLite's global memory-statistics and page-cache mutexes.
        let store = SqliteStore::open_in_memory()?;
        let writer = store.lock_writer()?;
        let mut stmt = writer.prepare("PRAGMA compile_options").map_err(backend)?;
        let options: Vec<String> = stmt.query_map([], |r| r.get(0)).and_then(Iterator::collect).map_err(backend)?;
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
        Ok(())
    }

    #[test]
    fn a_failed_write_rolls_back_and_the_writer_stays_usable() -> Result<()> {
        let store = SqliteStore::open_in_memory()?;
        let failed: Result<()> = store.write(|tx| {
            crate::events::next_stream(tx)?;
            Err(StorageError::Backend("boom".into()))
        });
        assert!(failed.is_err());
        let pos = store.write(|tx| crate::events::next_stream(tx))?;
        assert_eq!(pos, 1, "the failed write's position was given back");
        Ok(())
    }
}
