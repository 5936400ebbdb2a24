//! Integration tests of the SQLite backend: the shared conformance suite against an in-memory
//! and a file-backed store, plus what only a file-backed store can show.

mod file;

use std::ops::Deref;

use rempart_storage_sqlite::SqliteStore;
use tempfile::TempDir;

/// A store in a temporary directory, removed after the store is closed (fields drop in order).
struct TempStore {
    store: SqliteStore,
    _dir: TempDir,
}

impl TempStore {
    /// Opens a fresh store in a new temporary directory.
    fn open() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        // A nested path checks that `open` creates missing parent directories.
        let store = SqliteStore::open(&dir.path().join("data").join("rempart.db")).expect("open store");
        Self { store, _dir: dir }
    }
}

impl Deref for TempStore {
    type Target = SqliteStore;

    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

mod conformance_in_memory {
    use super::SqliteStore;

    rempart_storage::storage_conformance_tests!(Box::new(SqliteStore::open_in_memory().expect("open in memory")));
}

mod conformance_file {
    rempart_storage::storage_conformance_tests!(super::TempStore::open());
}
