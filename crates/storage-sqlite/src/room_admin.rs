//! What operators do to rooms as a whole: overviews for the admin API, purging a room with
//! everything stored about it, blocking room ids, and each user's server notices room.

use std::collections::{BTreeMap, HashMap};

use rempart_storage::{Result, RoomOverview};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

use crate::{
    backend, corrupt,
    rooms::{read_room, room_record},
    to_i64, to_u64,
};

/// Per-room counts, keyed by room id.
type Counts = HashMap<String, (i64, i64)>;

/// Runs a query returning `(room_id, a, b)` rows into a map.
fn counts(tx: &Connection, sql: &str, params: &[&str]) -> Result<Counts> {
    let mut stmt = tx.prepare(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params_from_iter(params), |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))
        .and_then(Iterator::collect::<rusqlite::Result<Counts>>);
    rows.map_err(backend)
}

/// See [`rempart_storage::RoomStore::room_overviews`]. Four queries in one read snapshot,
/// whatever the number of rooms, with `only` narrowing each to one room.
pub(crate) fn overviews(
    tx: &Connection,
    only: Option<&str>,
    kinds: &[&str],
    local_server: &str,
) -> Result<Vec<RoomOverview>> {
    let (narrow_rooms, narrow_state) = match only {
        Some(_) => ("WHERE room_id = ?1", "AND c.room_id = ?2"),
        None => ("", ""),
    };
    let room_param: Vec<&str> = only.into_iter().collect();

    let mut stmt = tx
        .prepare(&format!("SELECT room_id, version, creator, created_ts, published FROM rooms {narrow_rooms}"))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params_from_iter(&room_param), read_room)
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(backend)?;

    let kinds_json = serde_json::to_string(kinds).map_err(corrupt)?;
    let mut state_params = vec![kinds_json.as_str()];
    state_params.extend(&room_param);
    let mut stmt = tx
        .prepare(&format!(
            "SELECT c.room_id, c.type, json_extract(e.json, '$.content') FROM current_state c
             JOIN events e ON e.event_id = c.event_id
             WHERE c.state_key = '' AND c.type IN (SELECT value FROM json_each(?1)) {narrow_state}"
        ))
        .map_err(backend)?;
    let contents = stmt
        .query_map(params_from_iter(&state_params), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
        })
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(backend)?;
    let mut state: HashMap<String, BTreeMap<String, serde_json::Value>> = HashMap::new();
    for (room_id, kind, content) in contents {
        let content = match content {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| corrupt(format!("state content in {room_id}: {e}")))?
            }
            None => serde_json::Value::Null,
        };
        state.entry(room_id).or_default().insert(kind, content);
    }

    let state_counts = counts(
        tx,
        &format!("SELECT room_id, count(*), 0 FROM current_state {narrow_rooms} GROUP BY room_id"),
        &room_param,
    )?;
    let mut member_params = vec![local_server];
    member_params.extend(&room_param);
    let narrow_members = if only.is_some() { "AND room_id = ?2" } else { "" };
    // A user id's server name is everything after its first colon (localparts have none).
    let member_counts = counts(
        tx,
        &format!(
            "SELECT room_id, count(*), count(*) FILTER (WHERE substr(user_id, instr(user_id, ':') + 1) = ?1)
             FROM memberships WHERE membership = 'join' {narrow_members} GROUP BY room_id"
        ),
        &member_params,
    )?;

    rows.into_iter()
        .map(|row| {
            let record = room_record(row)?;
            let key = record.room_id.as_str();
            let (state_events, _) = state_counts.get(key).copied().unwrap_or_default();
            let (joined, joined_local) = member_counts.get(key).copied().unwrap_or_default();
            Ok(RoomOverview {
                state: state.remove(key).unwrap_or_default(),
                state_events: to_u64(state_events)?,
                joined_members: to_u64(joined)?,
                joined_local_members: to_u64(joined_local)?,
                record,
            })
        })
        .collect()
}

/// Every statement of a purge, in an order the foreign keys accept.
const PURGE: &[&str] = &[
    // The room points at its current state group while the groups point at the room: cut the
    // first link so that the groups can go before the room.
    "UPDATE rooms SET current_state_group = NULL WHERE room_id = ?1",
    "DELETE FROM events WHERE room_id = ?1",
    "DELETE FROM state_group_entries WHERE group_id IN (SELECT id FROM state_groups WHERE room_id = ?1)",
    // Deltas point at earlier groups of the same room; the check runs when the statement ends,
    // once the whole chain is gone.
    "DELETE FROM state_groups WHERE room_id = ?1",
    "DELETE FROM current_state WHERE room_id = ?1",
    "DELETE FROM memberships WHERE room_id = ?1",
    "DELETE FROM forward_extremities WHERE room_id = ?1",
    "DELETE FROM room_aliases WHERE room_id = ?1",
    "DELETE FROM receipts WHERE room_id = ?1",
    "DELETE FROM account_data WHERE room_id = ?1",
    // media_links stay: they record that a file was posted, so the encrypted-room fallback of
    // the media access rule (files linked nowhere) never reopens a purged room's files. Their
    // events are gone, so they grant nothing.
    "DELETE FROM server_notice_rooms WHERE room_id = ?1",
    "DELETE FROM rooms WHERE room_id = ?1",
];

/// See [`rempart_storage::RoomStore::purge_room`].
pub(crate) fn purge(tx: &Transaction<'_>, room_id: &str) -> Result<bool> {
    let known = tx
        .query_row("SELECT 1 FROM rooms WHERE room_id = ?1", [room_id], |_| Ok(()))
        .optional()
        .map_err(backend)?
        .is_some();
    if !known {
        return Ok(false);
    }
    for sql in PURGE {
        tx.execute(sql, [room_id]).map_err(backend)?;
    }
    Ok(true)
}

/// See [`rempart_storage::RoomStore::block_room`].
pub(crate) fn block(tx: &Transaction<'_>, room_id: &str, blocked_by: &str, now: u64) -> Result<()> {
    tx.execute(
        "INSERT INTO room_blocks (room_id, blocked_by, blocked_ts) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![room_id, blocked_by, to_i64(now)?],
    )
    .map_err(backend)?;
    Ok(())
}

/// See [`rempart_storage::RoomStore::is_room_blocked`].
pub(crate) fn is_blocked(tx: &Connection, room_id: &str) -> Result<bool> {
    let found = tx
        .prepare_cached("SELECT 1 FROM room_blocks WHERE room_id = ?1")
        .and_then(|mut stmt| stmt.query_row([room_id], |_| Ok(())).optional())
        .map_err(backend)?;
    Ok(found.is_some())
}

/// See [`rempart_storage::RoomStore::notice_room`].
pub(crate) fn notice_room(tx: &Connection, user_id: &str) -> Result<Option<String>> {
    tx.prepare_cached("SELECT room_id FROM server_notice_rooms WHERE user_id = ?1")
        .and_then(|mut stmt| stmt.query_row([user_id], |r| r.get(0)).optional())
        .map_err(backend)
}

/// See [`rempart_storage::RoomStore::set_notice_room`].
pub(crate) fn set_notice_room(tx: &Transaction<'_>, user_id: &str, room_id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO server_notice_rooms (user_id, room_id) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET room_id = excluded.room_id",
        [user_id, room_id],
    )
    .map_err(backend)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rempart_storage::StorageError;

    use crate::{SqliteStore, backend};

    /// Every table with a `room_id` column, found in the schema itself, so that a table added
    /// later without a purge statement fails here rather than leaking rows of purged rooms.
    #[test]
    fn a_purge_leaves_no_row_of_the_room_in_any_table() -> Result<(), StorageError> {
        let store = SqliteStore::open_in_memory()?;
        rempart_storage::conformance::room_purge(&store);
        let conn = store.lock_writer()?;
        let mut stmt = conn
            .prepare(
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
                 WHERE m.type = 'table' AND c.name = 'room_id'",
            )
            .map_err(backend)?;
        let tables = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(backend)?;
        assert!(tables.len() >= 10, "found the room tables: {tables:?}");
        for table in tables {
            let rows: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table} WHERE room_id = '!r:test'"), [], |r| r.get(0))
                .map_err(backend)?;
            let expected = i64::from(table == "room_blocks");
            if table == "media_links" {
                continue;
            }
            assert_eq!(rows, expected, "rows of the purged room left in {table}");
        }
        let orphans: i64 = conn
            .query_row(
                "SELECT count(*) FROM state_group_entries WHERE group_id NOT IN (SELECT id FROM state_groups)",
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        assert_eq!(orphans, 0, "state group entries of purged groups");
        Ok(())
    }
}
