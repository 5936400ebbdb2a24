//! Accounts, devices and access tokens ([`AccountStore`]).

use rempart_storage::{
    AccountFlag, AccountStatus, AccountStore, DeviceRecord, EndSessions, LAST_SEEN_GRANULARITY_MS, NewUser, Result,
    SessionRecord, UserRecord,
};
use ruma::{DeviceId, OwnedDeviceId, UserId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{SqliteStore, backend, corrupt, keys, parse_id, sessions, to_i64, to_u64};

/// The effective state of a `users` row: deactivated, else locked, else suspended, else active.
const EFFECTIVE_STATUS: &str = "CASE WHEN status = 'deactivated' THEN 'deactivated' WHEN locked THEN 'locked'
     WHEN suspended THEN 'suspended' ELSE 'active' END";

fn user_columns() -> String {
    format!(
        "user_id, password_hash, is_admin, {EFFECTIVE_STATUS}, displayname, avatar_url, created_ts, locked, suspended, \
         erased"
    )
}
const DEVICE_COLUMNS: &str =
    "user_id, device_id, display_name, last_seen_ts, last_seen_ip, last_seen_user_agent, created_ts";

/// A `users` row as read, before its fields are validated.
type UserRow = (String, Option<String>, bool, String, Option<String>, Option<String>, i64, bool, bool, bool);
/// A `devices` row as read.
type DeviceRow = (String, String, Option<String>, Option<i64>, Option<String>, Option<String>, i64);

fn read_user(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn user_record(row: UserRow) -> Result<UserRecord> {
    let (user_id, password_hash, is_admin, status, displayname, avatar_url, created_ts, locked, suspended, erased) =
        row;
    Ok(UserRecord {
        user_id: parse_id(user_id, "user id")?,
        password_hash,
        is_admin,
        status: parse_status(&status)?,
        locked,
        suspended,
        erased,
        displayname,
        avatar_url,
        created_ts: to_u64(created_ts)?,
    })
}

fn parse_status(status: &str) -> Result<AccountStatus> {
    AccountStatus::parse(status).ok_or_else(|| corrupt(format!("unknown account status {status:?}")))
}

fn read_device(row: &Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn device_record(row: DeviceRow) -> Result<DeviceRecord> {
    let (user_id, device_id, display_name, last_seen_ts, last_seen_ip, last_seen_user_agent, created_ts) = row;
    Ok(DeviceRecord {
        user_id: parse_id(user_id, "user id")?,
        device_id: OwnedDeviceId::from(device_id),
        display_name,
        last_seen_ts: last_seen_ts.map(to_u64).transpose()?,
        last_seen_ip,
        last_seen_user_agent,
        created_ts: to_u64(created_ts)?,
    })
}

/// Runs a single-row `UPDATE users` statement.
fn update_user(conn: &Connection, sql: &str, user_id: &UserId, value: Option<&str>) -> Result<()> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute(params![user_id.as_str(), value])).map_err(backend)?;
    Ok(())
}

impl AccountStore for SqliteStore {
    fn create_user(&self, user: &NewUser, now: u64) -> Result<()> {
        let now = to_i64(now)?;
        self.write(|tx| {
            // A duplicate user id violates the primary key, which `backend` reports as Conflict.
            tx.execute(
                "INSERT INTO users (user_id, password_hash, is_admin, status, displayname, created_ts)
                 VALUES (?1, ?2, ?3, 'active', ?4, ?5)",
                params![user.user_id.as_str(), user.password_hash, user.is_admin, user.displayname, now],
            )
            .map_err(backend)?;
            Ok(())
        })
    }

    fn get_user(&self, user_id: &UserId) -> Result<Option<UserRecord>> {
        let row = self.read(|tx| {
            tx.prepare_cached(&format!("SELECT {} FROM users WHERE user_id = ?1", user_columns()))
                .and_then(|mut stmt| stmt.query_row([user_id.as_str()], read_user).optional())
                .map_err(backend)
        })?;
        row.map(user_record).transpose()
    }

    fn list_users(&self) -> Result<Vec<UserRecord>> {
        let rows = self.read(|tx| {
            let mut stmt =
                tx.prepare(&format!("SELECT {} FROM users ORDER BY user_id", user_columns())).map_err(backend)?;
            stmt.query_map([], read_user).and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>).map_err(backend)
        })?;
        rows.into_iter().map(user_record).collect()
    }

    fn set_password_hash(&self, user_id: &UserId, hash: Option<&str>) -> Result<()> {
        self.write(|tx| update_user(tx, "UPDATE users SET password_hash = ?2 WHERE user_id = ?1", user_id, hash))
    }

    fn set_account_flag(&self, user_id: &UserId, flag: AccountFlag, on: bool) -> Result<bool> {
        let sql = match flag {
            AccountFlag::Locked => "UPDATE users SET locked = ?2 WHERE user_id = ?1",
            AccountFlag::Suspended => "UPDATE users SET suspended = ?2 WHERE user_id = ?1",
        };
        self.write(|tx| {
            let changed = tx.prepare_cached(sql).and_then(|mut stmt| stmt.execute(params![user_id.as_str(), on]));
            Ok(changed.map_err(backend)? > 0)
        })
    }

    fn set_admin(&self, user_id: &UserId, admin: bool) -> Result<bool> {
        self.write(|tx| {
            let changed = tx
                .prepare_cached("UPDATE users SET is_admin = ?2 WHERE user_id = ?1")
                .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), admin]));
            Ok(changed.map_err(backend)? > 0)
        })
    }

    fn set_displayname(&self, user_id: &UserId, displayname: Option<&str>) -> Result<()> {
        self.write(|tx| update_user(tx, "UPDATE users SET displayname = ?2 WHERE user_id = ?1", user_id, displayname))
    }

    fn set_avatar_url(&self, user_id: &UserId, avatar_url: Option<&str>) -> Result<()> {
        self.write(|tx| update_user(tx, "UPDATE users SET avatar_url = ?2 WHERE user_id = ?1", user_id, avatar_url))
    }

    fn create_session(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        display_name: Option<&str>,
        token_hash: &[u8],
        ip: Option<&str>,
        now: u64,
    ) -> Result<()> {
        let now = to_i64(now)?;
        self.write(|tx| {
            // Logging in is a use of the device: record it as seen. An existing device keeps its
            // name unless the login supplied a new one.
            tx.execute(
                "INSERT INTO devices (user_id, device_id, display_name, last_seen_ts, last_seen_ip, created_ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4)
                 ON CONFLICT (user_id, device_id) DO UPDATE SET
                     display_name = coalesce(excluded.display_name, display_name),
                     last_seen_ts = excluded.last_seen_ts,
                     last_seen_ip = coalesce(excluded.last_seen_ip, last_seen_ip)",
                params![user_id.as_str(), device_id.as_str(), display_name, now, ip],
            )
            .map_err(backend)?;
            sessions::record_use(tx, user_id, device_id, ip, None, now)?;
            tx.execute(
                "DELETE FROM access_tokens WHERE user_id = ?1 AND device_id = ?2",
                params![user_id.as_str(), device_id.as_str()],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user_id.as_str(), device_id.as_str(), now],
            )
            .map_err(backend)?;
            Ok(())
        })
    }

    fn find_session(&self, token_hash: &[u8]) -> Result<Option<SessionRecord>> {
        let row: Option<(String, String, String, bool)> = self.read(|tx| {
            tx.prepare_cached(&format!(
                "SELECT t.user_id, t.device_id, {EFFECTIVE_STATUS}, u.is_admin
                 FROM access_tokens t JOIN users u ON u.user_id = t.user_id
                 WHERE t.token_hash = ?1"
            ))
            .and_then(|mut stmt| {
                stmt.query_row([token_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional()
            })
            .map_err(backend)
        })?;
        row.map(|(user_id, device_id, status, is_admin)| {
            Ok(SessionRecord {
                user_id: parse_id(user_id, "user id")?,
                device_id: OwnedDeviceId::from(device_id),
                status: parse_status(&status)?,
                is_admin,
            })
        })
        .transpose()
    }

    fn touch_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        ip: Option<&str>,
        user_agent: Option<&str>,
        now: u64,
    ) -> Result<()> {
        let now = to_i64(now)?;
        let granularity = to_i64(LAST_SEEN_GRANULARITY_MS)?;
        self.write(|tx| {
            // An unknown ip or user agent keeps the last one seen rather than erasing it. A device
            // seen again from the same place within the granularity is left alone, so that most
            // requests write nothing.
            tx.prepare_cached(
                "UPDATE devices SET last_seen_ts = ?3,
                     last_seen_ip = coalesce(?4, last_seen_ip),
                     last_seen_user_agent = coalesce(?5, last_seen_user_agent)
                 WHERE user_id = ?1 AND device_id = ?2
                     AND (last_seen_ts IS NULL OR last_seen_ts <= ?3 - ?6
                         OR last_seen_ip IS NOT coalesce(?4, last_seen_ip)
                         OR last_seen_user_agent IS NOT coalesce(?5, last_seen_user_agent))",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![user_id.as_str(), device_id.as_str(), now, ip, user_agent, granularity])
            })
            .map_err(backend)?;
            sessions::record_use(tx, user_id, device_id, ip, user_agent, now)
        })
    }

    fn list_devices(&self, user_id: &UserId) -> Result<Vec<DeviceRecord>> {
        let rows = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 ORDER BY device_id"))
                .map_err(backend)?;
            stmt.query_map([user_id.as_str()], read_device)
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(backend)
        })?;
        rows.into_iter().map(device_record).collect()
    }

    fn get_device(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Option<DeviceRecord>> {
        let row = self.read(|tx| {
            tx.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 AND device_id = ?2"))
                .and_then(|mut stmt| stmt.query_row([user_id.as_str(), device_id.as_str()], read_device).optional())
                .map_err(backend)
        })?;
        row.map(device_record).transpose()
    }

    fn set_device_display_name(&self, user_id: &UserId, device_id: &DeviceId, name: Option<&str>) -> Result<bool> {
        self.write(|tx| {
            let changed = tx
                .execute(
                    "UPDATE devices SET display_name = ?3 WHERE user_id = ?1 AND device_id = ?2",
                    params![user_id.as_str(), device_id.as_str(), name],
                )
                .map_err(backend)?;
            Ok(changed > 0)
        })
    }

    fn delete_devices(&self, user_id: &UserId, device_ids: &[OwnedDeviceId]) -> Result<()> {
        self.write(|tx| {
            // Tokens go with their device through the foreign key's ON DELETE CASCADE.
            // So do their end-to-end keys; the device-list change tells their contacts.
            let mut stmt =
                tx.prepare_cached("DELETE FROM devices WHERE user_id = ?1 AND device_id = ?2").map_err(backend)?;
            let mut deleted = Vec::new();
            for device_id in device_ids {
                if stmt.execute([user_id.as_str(), device_id.as_str()]).map_err(backend)? > 0 {
                    deleted.push(device_id.clone());
                }
            }
            keys::forget_devices(tx, user_id, &deleted)
        })
    }

    fn delete_devices_except(&self, user_id: &UserId, keep: Option<&DeviceId>) -> Result<Vec<OwnedDeviceId>> {
        self.write(|tx| delete_other_devices(tx, user_id, keep))
    }

    fn change_password(&self, user_id: &UserId, hash: &str, end: EndSessions<'_>) -> Result<Vec<OwnedDeviceId>> {
        self.write(|tx| {
            update_user(tx, "UPDATE users SET password_hash = ?2 WHERE user_id = ?1", user_id, Some(hash))?;
            match end {
                EndSessions::None => Ok(vec![]),
                EndSessions::AllExcept(keep) => delete_other_devices(tx, user_id, Some(keep)),
                EndSessions::All => delete_other_devices(tx, user_id, None),
            }
        })
    }

    fn deactivate_user(&self, user_id: &UserId, erase: bool) -> Result<Vec<OwnedDeviceId>> {
        self.write(|tx| {
            let status = AccountStatus::Deactivated.as_str();
            update_user(tx, "UPDATE users SET status = ?2 WHERE user_id = ?1", user_id, Some(status))?;
            tx.execute(
                "UPDATE users SET password_hash = NULL, displayname = NULL, avatar_url = NULL WHERE user_id = ?1",
                [user_id.as_str()],
            )
            .map_err(backend)?;
            let deleted = delete_other_devices(tx, user_id, None)?;
            let mut statements = vec![
                "DELETE FROM cross_signing_keys WHERE user_id = ?1",
                "DELETE FROM key_signatures WHERE target_user_id = ?1 OR signer_user_id = ?1",
                "DELETE FROM backup_keys WHERE user_id = ?1",
                "DELETE FROM backup_versions WHERE user_id = ?1",
            ];
            if erase {
                statements.push("DELETE FROM account_data WHERE user_id = ?1");
                statements.push("UPDATE users SET erased = 1 WHERE user_id = ?1");
            }
            for sql in statements {
                tx.execute(sql, [user_id.as_str()]).map_err(backend)?;
            }
            Ok(deleted)
        })
    }
}

/// Deletes every device of the user but `keep` (and, through the schema, their tokens, keys and
/// queues), recording the device-list change; returns the ids deleted.
fn delete_other_devices(
    tx: &rusqlite::Connection,
    user_id: &UserId,
    keep: Option<&DeviceId>,
) -> Result<Vec<OwnedDeviceId>> {
    let mut stmt = tx
        .prepare("DELETE FROM devices WHERE user_id = ?1 AND device_id IS NOT ?2 RETURNING device_id")
        .map_err(backend)?;
    let mut deleted: Vec<OwnedDeviceId> = stmt
        .query_map(params![user_id.as_str(), keep.map(DeviceId::as_str)], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.map(|r| r.map(OwnedDeviceId::from)).collect::<rusqlite::Result<_>>())
        .map_err(backend)?;
    deleted.sort();
    keys::forget_devices(tx, user_id, &deleted)?;
    Ok(deleted)
}
