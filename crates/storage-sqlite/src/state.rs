//! Room state as state groups: each state event creates a group holding only what changed since
//! the previous group (a delta), with a full snapshot every [`MAX_DELTA_DEPTH`] groups so that
//! resolving any group reads a bounded number of rows.

use std::collections::BTreeMap;

use rempart_storage::{Result, StorageError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::backend;

/// Deltas allowed on top of a snapshot before the next group is written in full. Larger values
/// store less; smaller ones make lookups cheaper. At 50, a room's snapshots cost about one full
/// copy of its state per 50 state changes.
pub(crate) const MAX_DELTA_DEPTH: i64 = 50;

/// The groups a group is built from, nearest first, as `(id, distance)`. The `g.id < chain.id`
/// guard makes the walk terminate even on a corrupt cycle: a delta always refers to an older
/// group.
const CHAIN: &str = "WITH RECURSIVE chain(id, prev, n) AS (
        SELECT id, prev_group, 0 FROM state_groups WHERE id = ?1
        UNION ALL
        SELECT g.id, g.prev_group, chain.n + 1 FROM state_groups g JOIN chain ON g.id = chain.prev
        WHERE g.id < chain.id
    )";

/// A state entry: `(type, state_key, event_id)`.
pub(crate) type Entry = (String, String, String);

/// Creates the group for the state after `event_id` sets `(kind, state_key)` on top of `prev`,
/// returning its id.
pub(crate) fn create_group(
    conn: &Connection,
    room_id: &str,
    prev: Option<i64>,
    kind: &str,
    state_key: &str,
    event_id: &str,
) -> Result<i64> {
    let prev_depth = match prev {
        Some(prev) => Some(
            conn.prepare_cached("SELECT delta_depth FROM state_groups WHERE id = ?1")
                .and_then(|mut stmt| stmt.query_row([prev], |r| r.get::<_, i64>(0)).optional())
                .map_err(backend)?
                .ok_or_else(|| StorageError::Corrupt(format!("state group {prev} is missing")))?,
        ),
        None => None,
    };
    let mut insert_entry = conn
        .prepare_cached("INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES (?1, ?2, ?3, ?4)")
        .map_err(backend)?;
    let mut insert_group = conn
        .prepare_cached("INSERT INTO state_groups (room_id, prev_group, delta_depth) VALUES (?1, ?2, ?3) RETURNING id")
        .map_err(backend)?;
    match (prev, prev_depth) {
        (Some(prev), Some(depth)) if depth < MAX_DELTA_DEPTH => {
            let group: i64 =
                insert_group.query_row(params![room_id, prev, depth + 1], |r| r.get(0)).map_err(backend)?;
            insert_entry.execute(params![group, kind, state_key, event_id]).map_err(backend)?;
            Ok(group)
        }
        _ => {
            let mut entries = match prev {
                Some(prev) => resolve(conn, prev)?,
                None => Vec::new(),
            };
            entries.retain(|(k, s, _)| !(k == kind && s == state_key));
            entries.push((kind.to_owned(), state_key.to_owned(), event_id.to_owned()));
            let group: i64 = insert_group.query_row(params![room_id, None::<i64>, 0], |r| r.get(0)).map_err(backend)?;
            for (kind, state_key, event_id) in &entries {
                insert_entry.execute(params![group, kind, state_key, event_id]).map_err(backend)?;
            }
            Ok(group)
        }
    }
}

/// The full state of a group, sorted by `(type, state_key)`; empty for an unknown group.
pub(crate) fn resolve(conn: &Connection, group: i64) -> Result<Vec<Entry>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "{CHAIN} SELECT e.type, e.state_key, e.event_id
             FROM chain c JOIN state_group_entries e ON e.group_id = c.id ORDER BY c.n"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map([group], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .map_err(backend)?;
    // Rows arrive nearest group first, so the first value seen for a key is the one in force.
    let mut state = BTreeMap::new();
    for row in rows {
        let (kind, state_key, event_id) = row.map_err(backend)?;
        state.entry((kind, state_key)).or_insert(event_id);
    }
    Ok(state.into_iter().map(|((kind, state_key), event_id)| (kind, state_key, event_id)).collect())
}

/// One entry of a group's state.
pub(crate) fn lookup(conn: &Connection, group: i64, kind: &str, state_key: &str) -> Result<Option<String>> {
    conn.prepare_cached(&format!(
        "{CHAIN} SELECT e.event_id FROM chain c JOIN state_group_entries e
             ON e.group_id = c.id AND e.type = ?2 AND e.state_key = ?3
         ORDER BY c.n LIMIT 1"
    ))
    .and_then(|mut stmt| stmt.query_row(params![group, kind, state_key], |r| r.get(0)).optional())
    .map_err(backend)
}

/// The room's current state group, `None` before its first event (or for an unknown room).
pub(crate) fn current_group(conn: &Connection, room_id: &str) -> Result<Option<i64>> {
    let group: Option<Option<i64>> = conn
        .prepare_cached("SELECT current_state_group FROM rooms WHERE room_id = ?1")
        .and_then(|mut stmt| stmt.query_row([room_id], |r| r.get(0)).optional())
        .map_err(backend)?;
    Ok(group.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room_db() -> Result<Connection> {
        let mut conn = Connection::open_in_memory().map_err(backend)?;
        crate::schema::migrate(&mut conn)?;
        conn.execute("INSERT INTO rooms (room_id, version, creator, created_ts) VALUES ('!r:t', '11', '@a:t', 0)", [])
            .map_err(backend)?;
        Ok(conn)
    }

    #[test]
    fn chains_are_cut_by_snapshots() -> Result<()> {
        let conn = room_db()?;
        let mut group = None;
        let mut groups = Vec::new();
        for i in 0..(3 * MAX_DELTA_DEPTH + 10) {
            let next = create_group(&conn, "!r:t", group, "k", &format!("{}", i % 7), &format!("$e{i}"))?;
            groups.push(next);
            group = Some(next);
        }
        let (deepest, snapshots): (i64, i64) = conn
            .query_row(
                "SELECT max(delta_depth), count(*) FILTER (WHERE prev_group IS NULL) FROM state_groups",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(backend)?;
        assert_eq!(deepest, MAX_DELTA_DEPTH);
        assert_eq!(snapshots, 4, "the first group and one per full chain");
        // A snapshot holds the whole state, a delta only its own entry.
        let sizes: Vec<i64> = conn
            .prepare("SELECT count(*) FROM state_group_entries GROUP BY group_id ORDER BY group_id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(backend)?;
        assert_eq!(sizes.iter().filter(|&&n| n == 7).count(), 3);
        assert_eq!(sizes.iter().filter(|&&n| n == 1).count(), groups.len() - 3);
        let last = groups.last().copied().unwrap_or_default();
        assert_eq!(resolve(&conn, last)?.len(), 7);
        assert_eq!(lookup(&conn, last, "k", "0")?.as_deref(), Some("$e154"));
        Ok(())
    }

    #[test]
    fn a_corrupt_cycle_terminates() -> Result<()> {
        let conn = room_db()?;
        let first = create_group(&conn, "!r:t", None, "k", "", "$a")?;
        let second = create_group(&conn, "!r:t", Some(first), "k", "x", "$b")?;
        conn.execute("UPDATE state_groups SET prev_group = ?1 WHERE id = ?2", [second, first]).map_err(backend)?;
        assert_eq!(resolve(&conn, second)?.len(), 2);
        assert_eq!(lookup(&conn, first, "k", "x")?, None);
        Ok(())
    }
}
