//! The device-list change stream: recording changes (also for device deletion, from
//! `accounts`) and answering "whose devices should this user fetch again" for sync and
//! `/keys/changes`, over the current memberships.

use std::collections::BTreeSet;

use rempart_storage::Result;
use rempart_storage::keys::DeviceListChanges;
use ruma::{OwnedDeviceId, OwnedUserId, UserId};
use rusqlite::{Connection, params};

use crate::events::next_stream;
use crate::{backend, parse_id};

/// Records, inside the caller's transaction, that `user_id`'s device list changed; with
/// `visible_to`, the change is news only to that user.
pub(crate) fn record_change(conn: &Connection, user_id: &UserId, visible_to: Option<&UserId>) -> Result<i64> {
    let stream = next_stream(conn)?;
    conn.prepare_cached("INSERT INTO device_list_changes (user_id, stream, visible_to) VALUES (?1, ?2, ?3)")
        .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), stream, visible_to.map(UserId::as_str)]))
        .map_err(backend)?;
    Ok(stream)
}

/// After devices were deleted (their keys went with them through the foreign keys), drops the
/// signatures uploaded for them and records the device-list change, inside the caller's
/// transaction. Does nothing when no device was deleted.
pub(crate) fn forget_devices(conn: &Connection, user_id: &UserId, device_ids: &[OwnedDeviceId]) -> Result<()> {
    if device_ids.is_empty() {
        return Ok(());
    }
    let mut stmt = conn
        .prepare_cached("DELETE FROM key_signatures WHERE target_user_id = ?1 AND target_key_id = ?2")
        .map_err(backend)?;
    for device_id in device_ids {
        stmt.execute([user_id.as_str(), device_id.as_str()]).map_err(backend)?;
    }
    record_change(conn, user_id, None)?;
    Ok(())
}

/// Users with a device-list change in the window who share a joined room with `?1` now (or are
/// `?1`), users who joined one of `?1`'s rooms in the window, every member of a room `?1` joined
/// in the window, and the targets of `?1`'s signatures on other users' keys.
const CHANGED: &str = "
    SELECT c.user_id FROM device_list_changes c
     WHERE c.stream > ?2 AND c.stream <= ?3 AND c.visible_to IS NULL
       AND (c.user_id = ?1 OR EXISTS (
            SELECT 1 FROM memberships theirs
              JOIN memberships mine ON mine.room_id = theirs.room_id
             WHERE theirs.user_id = c.user_id AND theirs.membership = 'join'
               AND mine.user_id = ?1 AND mine.membership = 'join'))
    UNION
    SELECT c.user_id FROM device_list_changes c
     WHERE c.stream > ?2 AND c.stream <= ?3 AND c.visible_to = ?1
    UNION
    SELECT other.user_id FROM memberships mine
      JOIN memberships other ON other.room_id = mine.room_id AND other.stream > ?2 AND other.stream <= ?3
     WHERE mine.user_id = ?1 AND mine.membership = 'join'
       AND other.membership = 'join' AND other.user_id != ?1
    UNION
    SELECT other.user_id FROM memberships mine
      JOIN memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
     WHERE mine.user_id = ?1 AND mine.membership = 'join' AND mine.stream > ?2 AND mine.stream <= ?3
       AND other.user_id != ?1";

/// Users who left (or were banned from) a room `?1` was in when they left, and users who were
/// in a room when `?1` left it, in the window, keeping those who share no joined room with `?1`
/// any more.
const LEFT: &str = "
    WITH gone (user_id) AS (
        SELECT other.user_id FROM memberships mine
          JOIN memberships other ON other.room_id = mine.room_id AND other.stream > ?2 AND other.stream <= ?3
         WHERE mine.user_id = ?1 AND other.membership IN ('leave', 'ban')
           AND (mine.membership = 'join' OR (mine.membership IN ('leave', 'ban') AND mine.stream > other.stream))
        UNION
        SELECT other.user_id FROM memberships mine
          JOIN memberships other ON other.room_id = mine.room_id
         WHERE mine.user_id = ?1 AND mine.membership IN ('leave', 'ban') AND mine.stream > ?2 AND mine.stream <= ?3
           AND (other.membership = 'join' OR (other.membership IN ('leave', 'ban') AND other.stream > mine.stream))
    )
    SELECT user_id FROM gone
     WHERE user_id != ?1 AND NOT EXISTS (
           SELECT 1 FROM memberships theirs
             JOIN memberships mine ON mine.room_id = theirs.room_id
            WHERE theirs.user_id = gone.user_id AND theirs.membership = 'join'
              AND mine.user_id = ?1 AND mine.membership = 'join')";

fn user_set(conn: &Connection, sql: &str, user_id: &UserId, since: i64, until: i64) -> Result<BTreeSet<OwnedUserId>> {
    let ids: Vec<String> = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_map(params![user_id.as_str(), since, until], |r| r.get(0))?.collect::<rusqlite::Result<_>>()
        })
        .map_err(backend)?;
    ids.into_iter().map(|id| parse_id(id, "user id")).collect()
}

/// Device-list news for `user_id` in `(since, until]`, read in the caller's snapshot.
pub(super) fn changes(conn: &Connection, user_id: &UserId, since: i64, until: i64) -> Result<DeviceListChanges> {
    if until <= since {
        return Ok(DeviceListChanges::default());
    }
    let left = user_set(conn, LEFT, user_id, since, until)?;
    // Someone gone is reported as left only, even if they also changed keys before leaving.
    let changed = user_set(conn, CHANGED, user_id, since, until)?.into_iter().filter(|u| !left.contains(u)).collect();
    Ok(DeviceListChanges { changed, left: left.into_iter().collect() })
}
