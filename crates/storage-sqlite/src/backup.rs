//! [`BackupStore`] for SQLite: `backup_versions` and `backup_keys` (see
//! `migrations/004_key_backup.sql`).

use rempart_storage::backup::{BackupCounts, BackupKey, BackupVersion, KeyScope, KeyUpload};
use rempart_storage::{BackupStore, Result, StorageError};
use ruma::UserId;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

use crate::{SqliteStore, backend, corrupt, parse_id, to_i64, to_u64};

fn to_json(value: &serde_json::Value) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Backend(format!("serialising JSON: {e}")))
}

fn from_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("stored backup JSON: {e}")))
}

/// A version number as the database stores it; numbers beyond its range name no version.
fn db_version(version: u64) -> Option<i64> {
    i64::try_from(version).ok()
}

/// The user's current version: the highest one not deleted.
fn current_version(tx: &Connection, user_id: &UserId) -> Result<Option<i64>> {
    tx.prepare_cached("SELECT MAX(version) FROM backup_versions WHERE user_id = ?1 AND deleted = 0")
        .and_then(|mut stmt| stmt.query_row([user_id.as_str()], |r| r.get(0)))
        .map_err(backend)
}

/// The etag of a live version, `None` if there is no such version.
fn live_etag(tx: &Connection, user_id: &UserId, version: i64) -> Result<Option<i64>> {
    tx.prepare_cached("SELECT etag FROM backup_versions WHERE user_id = ?1 AND version = ?2 AND deleted = 0")
        .and_then(|mut stmt| stmt.query_row(params![user_id.as_str(), version], |r| r.get(0)).optional())
        .map_err(backend)
}

fn key_count(tx: &Connection, user_id: &UserId, version: i64) -> Result<u64> {
    let count: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM backup_keys WHERE user_id = ?1 AND version = ?2")
        .and_then(|mut stmt| stmt.query_row(params![user_id.as_str(), version], |r| r.get(0)))
        .map_err(backend)?;
    to_u64(count)
}

/// Advances a version's etag if `changed`, and reports the etag and key count.
fn finish_change(
    tx: &Transaction<'_>,
    user_id: &UserId,
    version: i64,
    etag: i64,
    changed: bool,
) -> Result<BackupCounts> {
    let etag = if changed {
        tx.prepare_cached("UPDATE backup_versions SET etag = etag + 1 WHERE user_id = ?1 AND version = ?2")
            .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), version]))
            .map_err(backend)?;
        etag + 1
    } else {
        etag
    };
    Ok(BackupCounts { etag: to_u64(etag)?, count: key_count(tx, user_id, version)? })
}

/// The `WHERE` clause addressing `scope` within one version of a user's backup, and its
/// parameters.
fn scope_filter(user_id: &UserId, version: i64, scope: KeyScope<'_>) -> (&'static str, Vec<Value>) {
    let mut params = vec![Value::Text(user_id.as_str().to_owned()), Value::Integer(version)];
    let filter = match scope {
        KeyScope::All => "user_id = ?1 AND version = ?2",
        KeyScope::Room(room_id) => {
            params.push(Value::Text(room_id.as_str().to_owned()));
            "user_id = ?1 AND version = ?2 AND room_id = ?3"
        }
        KeyScope::Session(room_id, session_id) => {
            params.extend([Value::Text(room_id.as_str().to_owned()), Value::Text(session_id.to_owned())]);
            "user_id = ?1 AND version = ?2 AND room_id = ?3 AND session_id = ?4"
        }
    };
    (filter, params)
}

/// A stored key row: `(room_id, session_id, first_message_index, forwarded_count, is_verified,
/// session_data)`.
type KeyRow = (String, String, i64, i64, bool, String);

fn key_from_row(row: KeyRow) -> Result<BackupKey> {
    let (room_id, session_id, first_message_index, forwarded_count, is_verified, data) = row;
    Ok(BackupKey {
        room_id: parse_id(room_id, "room id")?,
        session_id,
        first_message_index: to_u64(first_message_index)?,
        forwarded_count: to_u64(forwarded_count)?,
        is_verified,
        session_data: from_json(&data)?,
    })
}

/// Inserts `key`, or replaces the stored key of its session if it is better; `true` if anything
/// was written.
fn store_key(tx: &Transaction<'_>, user_id: &UserId, version: i64, key: &BackupKey) -> Result<bool> {
    let (index, forwarded) = (to_i64(key.first_message_index)?, to_i64(key.forwarded_count)?);
    let session_data = to_json(&key.session_data)?;
    let stored: Option<KeyRow> = tx
        .prepare_cached(
            "SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data
             FROM backup_keys WHERE user_id = ?1 AND version = ?2 AND room_id = ?3 AND session_id = ?4",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![user_id.as_str(), version, key.room_id.as_str(), key.session_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .optional()
        })
        .map_err(backend)?;
    if let Some(row) = stored
        && !key.replaces(&key_from_row(row)?)
    {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count,
                                  is_verified, session_data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET
             first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,
             is_verified = excluded.is_verified, session_data = excluded.session_data",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            user_id.as_str(),
            version,
            key.room_id.as_str(),
            key.session_id,
            index,
            forwarded,
            key.is_verified,
            session_data,
        ])
    })
    .map_err(backend)?;
    Ok(true)
}

impl BackupStore for SqliteStore {
    fn create_backup_version(&self, user_id: &UserId, algorithm: &str, auth_data: &serde_json::Value) -> Result<u64> {
        let auth_data = to_json(auth_data)?;
        self.write(|tx| {
            // Deleted versions count too: a number is never handed out twice.
            let highest: Option<i64> = tx
                .prepare_cached("SELECT MAX(version) FROM backup_versions WHERE user_id = ?1")
                .and_then(|mut stmt| stmt.query_row([user_id.as_str()], |r| r.get(0)))
                .map_err(backend)?;
            let version = highest.unwrap_or(0) + 1;
            tx.prepare_cached(
                "INSERT INTO backup_versions (user_id, version, algorithm, auth_data) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), version, algorithm, auth_data]))
            .map_err(backend)?;
            to_u64(version)
        })
    }

    fn get_backup_version(&self, user_id: &UserId, version: Option<u64>) -> Result<Option<BackupVersion>> {
        let requested = match version {
            Some(version) => match db_version(version) {
                Some(version) => Some(version),
                None => return Ok(None),
            },
            None => None,
        };
        self.read(|tx| {
            let Some(version) = requested.or(current_version(tx, user_id)?) else {
                return Ok(None);
            };
            let row: Option<(String, String, i64)> = tx
                .prepare_cached(
                    "SELECT algorithm, auth_data, etag FROM backup_versions
                     WHERE user_id = ?1 AND version = ?2 AND deleted = 0",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(params![user_id.as_str(), version], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()
                })
                .map_err(backend)?;
            let Some((algorithm, auth_data, etag)) = row else {
                return Ok(None);
            };
            Ok(Some(BackupVersion {
                version: to_u64(version)?,
                algorithm,
                auth_data: from_json(&auth_data)?,
                etag: to_u64(etag)?,
                count: key_count(tx, user_id, version)?,
            }))
        })
    }

    fn update_backup_auth_data(&self, user_id: &UserId, version: u64, auth_data: &serde_json::Value) -> Result<bool> {
        let Some(version) = db_version(version) else {
            return Ok(false);
        };
        let auth_data = to_json(auth_data)?;
        self.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE backup_versions SET auth_data = ?3 WHERE user_id = ?1 AND version = ?2 AND deleted = 0",
                )
                .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), version, auth_data]))
                .map_err(backend)?;
            Ok(changed > 0)
        })
    }

    fn delete_backup_version(&self, user_id: &UserId, version: u64) -> Result<bool> {
        let Some(version) = db_version(version) else {
            return Ok(false);
        };
        self.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE backup_versions SET deleted = 1, auth_data = '{}'
                     WHERE user_id = ?1 AND version = ?2 AND deleted = 0",
                )
                .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), version]))
                .map_err(backend)?;
            if changed == 0 {
                return Ok(false);
            }
            tx.prepare_cached("DELETE FROM backup_keys WHERE user_id = ?1 AND version = ?2")
                .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), version]))
                .map_err(backend)?;
            Ok(true)
        })
    }

    fn put_backup_keys(&self, user_id: &UserId, version: u64, keys: &[BackupKey]) -> Result<KeyUpload> {
        let Some(version) = db_version(version) else {
            return Ok(KeyUpload::UnknownVersion);
        };
        self.write(|tx| {
            let Some(etag) = live_etag(tx, user_id, version)? else {
                return Ok(KeyUpload::UnknownVersion);
            };
            match current_version(tx, user_id)? {
                Some(current) if current == version => {}
                Some(current) => return Ok(KeyUpload::NotCurrent { current: to_u64(current)? }),
                None => return Err(corrupt("a live backup version but no current one")),
            }
            let mut changed = false;
            for key in keys {
                changed |= store_key(tx, user_id, version, key)?;
            }
            finish_change(tx, user_id, version, etag, changed).map(KeyUpload::Stored)
        })
    }

    fn get_backup_keys(&self, user_id: &UserId, version: u64, scope: KeyScope<'_>) -> Result<Option<Vec<BackupKey>>> {
        let Some(version) = db_version(version) else {
            return Ok(None);
        };
        let (filter, params) = scope_filter(user_id, version, scope);
        let rows: Option<Vec<KeyRow>> = self.read(|tx| {
            if live_etag(tx, user_id, version)?.is_none() {
                return Ok(None);
            }
            let sql = format!(
                "SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data
                 FROM backup_keys WHERE {filter} ORDER BY room_id, session_id"
            );
            let mut stmt = tx.prepare_cached(&sql).map_err(backend)?;
            stmt.query_map(params_from_iter(params), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map(Some)
            .map_err(backend)
        })?;
        rows.map(|rows| rows.into_iter().map(key_from_row).collect()).transpose()
    }

    fn delete_backup_keys(&self, user_id: &UserId, version: u64, scope: KeyScope<'_>) -> Result<Option<BackupCounts>> {
        let Some(version) = db_version(version) else {
            return Ok(None);
        };
        let (filter, params) = scope_filter(user_id, version, scope);
        self.write(|tx| {
            let Some(etag) = live_etag(tx, user_id, version)? else {
                return Ok(None);
            };
            let deleted = tx
                .prepare_cached(&format!("DELETE FROM backup_keys WHERE {filter}"))
                .and_then(|mut stmt| stmt.execute(params_from_iter(params)))
                .map_err(backend)?;
            finish_change(tx, user_id, version, etag, deleted > 0).map(Some)
        })
    }
}
