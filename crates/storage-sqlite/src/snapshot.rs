//! Read snapshots: one read transaction pinned to the current thread, so that every read a
//! caller makes inside [`rempart_storage::Snapshots::snapshot`] sees the same database state
//! and none of them pays for a pool checkout and its own `BEGIN`/`ROLLBACK`.
//!
//! The pinned connection lives in a thread-local while the caller's (synchronous) closure runs;
//! [`SqliteStore::read`](crate::SqliteStore) finds it there. A guard takes it back, ends the
//! transaction and returns it to the pool even when the closure panics.

use std::cell::RefCell;

use rempart_storage::Result;
use rusqlite::Connection;

use crate::{Reader, backend};

/// The snapshot pinned on this thread.
struct Pinned {
    /// Which store it belongs to (the store's address): tests run several stores at once.
    store: usize,
    conn: Connection,
    /// The state-lookup cache generation when the transaction began, see
    /// [`crate::state_cache`].
    generation: u64,
}

thread_local! {
    static PINNED: RefCell<Option<Pinned>> = const { RefCell::new(None) };
}

/// Runs `f` on the snapshot pinned for `store` on this thread, or gives `f` back when there is
/// none.
pub(crate) fn with_pinned<T, F>(store: usize, f: F) -> std::result::Result<Result<T>, F>
where
    F: FnOnce(&Connection) -> Result<T>,
{
    PINNED.with_borrow(|pinned| match pinned {
        Some(pinned) if pinned.store == store => Ok(f(&pinned.conn)),
        _ => Err(f),
    })
}

/// Whether this thread already holds a snapshot (of any store).
pub(crate) fn is_pinned() -> bool {
    PINNED.with_borrow(Option::is_some)
}

/// The cache generation at the start of the snapshot pinned for `store`, if any.
pub(crate) fn pinned_generation(store: usize) -> Option<u64> {
    PINNED.with_borrow(|pinned| pinned.as_ref().filter(|p| p.store == store).map(|p| p.generation))
}

/// Holds a reader's connection pinned on this thread; dropping it unpins the connection, ends
/// its transaction and hands it back to the reader (and so to the pool).
pub(crate) struct PinGuard<'a> {
    reader: Reader<'a>,
}

impl<'a> PinGuard<'a> {
    /// Begins a read transaction on `reader`'s connection and pins it for `store`.
    pub(crate) fn begin(store: usize, mut reader: Reader<'a>, generation: u64) -> Result<Self> {
        reader.ready()?.execute_batch("BEGIN DEFERRED").map_err(backend)?;
        let Some(conn) = reader.conn.take() else {
            return Err(rempart_storage::StorageError::Backend("reader already returned".into()));
        };
        PINNED.with_borrow_mut(|pinned| *pinned = Some(Pinned { store, conn, generation }));
        Ok(Self { reader })
    }
}

impl Drop for PinGuard<'_> {
    fn drop(&mut self) {
        if let Some(pinned) = PINNED.with_borrow_mut(Option::take) {
            // A failed ROLLBACK leaves the transaction open; the next checkout finishes it
            // (`Reader::ready`).
            let _ = pinned.conn.execute_batch("ROLLBACK");
            self.reader.conn = Some(pinned.conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use rempart_storage::{Result, Snapshots, StorageError, StreamStore};

    use crate::{READERS, SqliteStore};

    fn bump(store: &SqliteStore) -> Result<i64> {
        store.write(|tx| crate::events::next_stream(tx))
    }

    #[test]
    fn reads_in_a_snapshot_see_one_state_of_the_database() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StorageError::Backend(e.to_string()))?;
        let store = SqliteStore::open(&dir.path().join("db.sqlite"))?;
        bump(&store)?;
        let mut seen = vec![];
        store.snapshot(&mut || {
            seen.push(store.max_stream()?);
            bump(&store)?;
            seen.push(store.max_stream()?);
            Ok(())
        })?;
        assert_eq!(seen, [1, 1], "a commit during the snapshot is not seen by it");
        assert_eq!(store.max_stream()?, 2, "and is seen after it");
        Ok(())
    }

    #[test]
    fn a_panic_in_a_snapshot_gives_its_connection_back() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StorageError::Backend(e.to_string()))?;
        let store = SqliteStore::open(&dir.path().join("db.sqlite"))?;
        for _ in 0..(2 * READERS) {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                store.snapshot(&mut || {
                    store.max_stream()?;
                    panic!("boom");
                })
            }));
            assert!(outcome.is_err());
            assert!(!super::is_pinned(), "unpinned");
        }
        // Every reader is back and usable: checking them all out at once does not block.
        let pool = store.readers.as_ref().ok_or_else(|| StorageError::Backend("no pool".into()))?;
        let mut readers: Vec<_> = (0..READERS).map(|_| crate::checkout(pool)).collect();
        for reader in &mut readers {
            reader.ready()?.query_row("SELECT 1", [], |_| Ok(())).map_err(crate::backend)?;
        }
        Ok(())
    }
}
