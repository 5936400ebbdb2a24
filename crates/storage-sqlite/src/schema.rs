//! Schema migrations: SQL scripts embedded in the binary and applied in order on open.
//!
//! `schema_version` records how many scripts a database has run. A new script is appended to
//! [`MIGRATIONS`]; scripts already released are never edited.

use rempart_storage::{Result, StorageError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::backend;

/// Every migration, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_initial.sql"),
    include_str!("../migrations/002_device_keys.sql"),
    include_str!("../migrations/003_to_device.sql"),
    include_str!("../migrations/004_key_backup.sql"),
    include_str!("../migrations/005_pushers.sql"),
    include_str!("../migrations/006_media.sql"),
    include_str!("../migrations/007_account_flags.sql"),
    include_str!("../migrations/008_room_blocks.sql"),
    include_str!("../migrations/009_session_history.sql"),
    include_str!("../migrations/010_user_erased.sql"),
    include_str!("../migrations/011_presence_by_stream.sql"),
];

/// Brings the database up to the newest schema, in one transaction: a crash half way through
/// leaves the previous version intact.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)").map_err(backend)?;
    let stored: Option<i64> =
        tx.query_row("SELECT version FROM schema_version", [], |row| row.get(0)).optional().map_err(backend)?;
    let current = usize::try_from(stored.unwrap_or(0))
        .map_err(|_| StorageError::Corrupt(format!("invalid schema version {stored:?}")))?;
    if current > MIGRATIONS.len() {
        // Running an older binary on a newer database could silently misread it.
        return Err(StorageError::Backend(format!(
            "database schema version {current} is newer than this server supports ({})",
            MIGRATIONS.len()
        )));
    }
    for script in &MIGRATIONS[current..] {
        tx.execute_batch(script).map_err(backend)?;
    }
    let newest = i64::try_from(MIGRATIONS.len()).map_err(|_| StorageError::Backend("too many migrations".into()))?;
    if stored.is_none() {
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [newest]).map_err(backend)?;
    } else {
        tx.execute("UPDATE schema_version SET version = ?1", [newest]).map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() -> Result<()> {
        let mut conn = Connection::open_in_memory().map_err(backend)?;
        migrate(&mut conn)?;
        migrate(&mut conn)?;
        let version: i64 = conn.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).map_err(backend)?;
        assert_eq!(version, MIGRATIONS.len() as i64);
        let rows: i64 = conn.query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0)).map_err(backend)?;
        assert_eq!(rows, 1);
        Ok(())
    }

    #[test]
    fn refuses_a_newer_database() -> Result<()> {
        let mut conn = Connection::open_in_memory().map_err(backend)?;
        migrate(&mut conn)?;
        conn.execute("UPDATE schema_version SET version = version + 1", []).map_err(backend)?;
        assert!(matches!(migrate(&mut conn), Err(StorageError::Backend(_))));
        Ok(())
    }
}
