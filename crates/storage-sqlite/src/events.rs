//! The event table: appending events (the one write path that touches state, memberships and
//! extremities together) and reading them back in stream order.

use std::sync::Arc;

use rempart_storage::{Membership, NewEvent, Result, RoomRecord, StorageError, StoredEvent};
use rempart_types::pdu::Pdu;
use ruma::{CanonicalJsonObject, CanonicalJsonValue, OwnedDeviceId, events::TimelineEventType};
use rusqlite::{Connection, OptionalExtension, Params, Row, params};

use crate::{backend, corrupt, parse_id, state, to_i64};

/// Columns [`read_event`] expects, for a query aliasing `events` as `e`.
pub(crate) const EVENT_COLUMNS: &str = "e.stream, e.event_id, e.room_id, e.json, e.state_group_before, e.state_group, e.redacted_by, e.txn_device, e.txn_id";

/// An `events` row as read, decoded into a [`StoredEvent`] outside the SQLite callback so that
/// decoding errors are ours rather than rusqlite's.
pub(crate) struct EventRow {
    stream: i64,
    event_id: String,
    room_id: String,
    json: String,
    state_group_before: Option<i64>,
    state_group: i64,
    redacted_by: Option<String>,
    txn_device: Option<String>,
    txn_id: Option<String>,
}

pub(crate) fn read_event(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        stream: row.get(0)?,
        event_id: row.get(1)?,
        room_id: row.get(2)?,
        json: row.get(3)?,
        state_group_before: row.get(4)?,
        state_group: row.get(5)?,
        redacted_by: row.get(6)?,
        txn_device: row.get(7)?,
        txn_id: row.get(8)?,
    })
}

impl EventRow {
    pub(crate) fn decode(self) -> Result<StoredEvent> {
        let json: CanonicalJsonObject =
            serde_json::from_str(&self.json).map_err(|e| corrupt(format!("event {} JSON: {e}", self.event_id)))?;
        let event_id = parse_id(self.event_id, "event id")?;
        let pdu = Pdu::from_json(event_id, parse_id(self.room_id, "room id")?, json).map_err(corrupt)?;
        Ok(StoredEvent {
            pdu: Arc::new(pdu),
            stream: self.stream,
            state_group_before: self.state_group_before,
            state_group: self.state_group,
            redacted_by: self.redacted_by.map(|id| parse_id(id, "event id")).transpose()?,
            txn: match (self.txn_device, self.txn_id) {
                (Some(device), Some(txn_id)) => Some((OwnedDeviceId::from(device), txn_id)),
                _ => None,
            },
        })
    }
}

/// Runs an event query (selecting [`EVENT_COLUMNS`]) and decodes every row.
pub(crate) fn query_events(conn: &Connection, sql: &str, params: impl Params) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt.query_map(params, read_event).and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>);
    rows.map_err(backend)?.into_iter().map(EventRow::decode).collect()
}

/// Runs an event query expected to return at most one row.
pub(crate) fn query_event(conn: &Connection, sql: &str, params: impl Params) -> Result<Option<StoredEvent>> {
    let row =
        conn.prepare_cached(sql).and_then(|mut stmt| stmt.query_row(params, read_event).optional()).map_err(backend)?;
    row.map(EventRow::decode).transpose()
}

/// What an event needs in the write transaction, computed before the writer lock is taken so
/// that serialising JSON never holds it.
pub(crate) struct Prepared<'a> {
    event: &'a NewEvent,
    json: String,
    depth: i64,
    membership: Option<Membership>,
    redacted_json: Option<String>,
}

pub(crate) fn prepare(event: &NewEvent) -> Result<Prepared<'_>> {
    let pdu = &event.pdu;
    let invalid = |what: &str| StorageError::Backend(format!("cannot store event {}: {what}", pdu.event_id));
    let membership = if pdu.kind == TimelineEventType::RoomMember {
        let value = match pdu.json.get("content") {
            Some(CanonicalJsonValue::Object(content)) => match content.get("membership") {
                Some(CanonicalJsonValue::String(value)) => Some(value.as_str()),
                _ => None,
            },
            _ => None,
        };
        let membership = value.and_then(Membership::parse).ok_or_else(|| invalid("no valid content.membership"))?;
        let state_key = pdu.state_key.as_deref().ok_or_else(|| invalid("member event without state_key"))?;
        ruma::UserId::parse(state_key).map_err(|_| invalid("member state_key is not a user id"))?;
        Some(membership)
    } else {
        None
    };
    let redacted_json = match &event.redaction {
        Some(redaction) => Some(serde_json::to_string(&redaction.redacted_json).map_err(|e| invalid(&e.to_string()))?),
        None => None,
    };
    Ok(Prepared {
        event,
        json: serde_json::to_string(&pdu.json).map_err(|e| invalid(&e.to_string()))?,
        depth: to_i64(pdu.depth)?,
        membership,
        redacted_json,
    })
}

/// Inserts a room record, with no state yet.
pub(crate) fn insert_room(conn: &Connection, room: &RoomRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO rooms (room_id, version, creator, created_ts, published) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            room.room_id.as_str(),
            room.version.as_str(),
            room.creator.as_str(),
            to_i64(room.created_ts)?,
            room.published
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Hands out the next position of the global stream. Inside the caller's transaction, so a
/// rolled-back write gives its position back.
pub(crate) fn next_stream(conn: &Connection) -> Result<i64> {
    conn.prepare_cached("UPDATE stream_counter SET pos = pos + 1 WHERE id = 0 RETURNING pos")
        .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
        .map_err(backend)
}

/// Appends one event inside the caller's transaction and returns its stream position.
pub(crate) fn append(conn: &Connection, prepared: &Prepared<'_>) -> Result<i64> {
    let pdu = &prepared.event.pdu;
    let room_id = pdu.room_id.as_str();
    let event_id = pdu.event_id.as_str();
    let kind = pdu.kind.to_string();
    let stream = next_stream(conn)?;

    let before: Option<i64> = conn
        .prepare_cached("SELECT current_state_group FROM rooms WHERE room_id = ?1")
        .and_then(|mut stmt| stmt.query_row([room_id], |r| r.get(0)).optional())
        .map_err(backend)?
        .ok_or_else(|| StorageError::Backend(format!("cannot store event {event_id}: unknown room {room_id}")))?;
    let group = match &pdu.state_key {
        Some(state_key) => {
            let group = state::create_group(conn, room_id, before, &kind, state_key, event_id)?;
            conn.prepare_cached("UPDATE rooms SET current_state_group = ?2 WHERE room_id = ?1")
                .and_then(|mut stmt| stmt.execute(params![room_id, group]))
                .map_err(backend)?;
            conn.prepare_cached(
                "INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id",
            )
            .and_then(|mut stmt| stmt.execute(params![room_id, kind, state_key, event_id]))
            .map_err(backend)?;
            if let Some(membership) = prepared.membership {
                // A new membership event un-forgets the room: forgetting only hides the past.
                conn.prepare_cached(
                    "INSERT INTO memberships (room_id, user_id, membership, event_id, stream, forgotten)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0)
                     ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership,
                         event_id = excluded.event_id, stream = excluded.stream, forgotten = 0",
                )
                .and_then(|mut stmt| stmt.execute(params![room_id, state_key, membership.as_str(), event_id, stream]))
                .map_err(backend)?;
            }
            group
        }
        // A message shares the group of the state it was sent in.
        None => before.ok_or_else(|| {
            StorageError::Backend(format!("cannot store event {event_id}: room {room_id} has no state yet"))
        })?,
    };

    let (txn_device, txn_id) = match &prepared.event.txn {
        Some((device, txn_id)) => (Some(device.as_str()), Some(txn_id.as_str())),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO events (stream, event_id, room_id, type, state_key, sender, json, depth,
             state_group_before, state_group, txn_device, txn_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            stream,
            event_id,
            room_id,
            kind,
            pdu.state_key,
            pdu.sender.as_str(),
            prepared.json,
            prepared.depth,
            before,
            group,
            txn_device,
            txn_id
        ])
    })
    .map_err(backend)?;

    let mut drop_extremity =
        conn.prepare_cached("DELETE FROM forward_extremities WHERE room_id = ?1 AND event_id = ?2").map_err(backend)?;
    for prev in &pdu.prev_events {
        drop_extremity.execute([room_id, prev.as_str()]).map_err(backend)?;
    }
    conn.prepare_cached("INSERT INTO forward_extremities (room_id, event_id, depth) VALUES (?1, ?2, ?3)")
        .and_then(|mut stmt| stmt.execute(params![room_id, event_id, prepared.depth]))
        .map_err(backend)?;

    // A file deleted since the sender's access was checked gets no link rather than failing
    // the event.
    if !prepared.event.media_links.is_empty() {
        let mut link = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO media_links (media_id, event_id, room_id)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM media WHERE media_id = ?1)",
            )
            .map_err(backend)?;
        for media_id in &prepared.event.media_links {
            link.execute([media_id.as_str(), event_id, room_id]).map_err(backend)?;
        }
    }

    if let (Some(redaction), Some(redacted_json)) = (&prepared.event.redaction, &prepared.redacted_json) {
        // A target in another room, or not (yet) stored, is left alone: a redaction only ever
        // applies within its own room.
        conn.prepare_cached("UPDATE events SET json = ?3, redacted_by = ?4 WHERE event_id = ?1 AND room_id = ?2")
            .and_then(|mut stmt| stmt.execute(params![redaction.target.as_str(), room_id, redacted_json, event_id]))
            .map_err(backend)?;
    }
    Ok(stream)
}

/// Up to `limit` events of a room with `after < stream <= until`, oldest first, keeping the
/// newest; the flag says whether older ones in the range were left out.
pub(crate) fn latest(
    conn: &Connection,
    room_id: &str,
    after: i64,
    until: i64,
    limit: usize,
) -> Result<(Vec<StoredEvent>, bool)> {
    // One extra row tells whether the range holds more than `limit` events.
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let mut events = query_events(
        conn,
        &format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.room_id = ?1 AND e.stream > ?2 AND e.stream <= ?3
             ORDER BY e.stream DESC LIMIT ?4"
        ),
        params![room_id, after, until, fetch],
    )?;
    let limited = events.len() > limit;
    events.truncate(limit);
    events.reverse();
    Ok((events, limited))
}

/// Up to `limit` events with `stream < before`, newest first.
pub(crate) fn backward(conn: &Connection, room_id: &str, before: i64, limit: usize) -> Result<Vec<StoredEvent>> {
    query_events(
        conn,
        &format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.room_id = ?1 AND e.stream < ?2
             ORDER BY e.stream DESC LIMIT ?3"
        ),
        params![room_id, before, i64::try_from(limit).unwrap_or(i64::MAX)],
    )
}

/// Full-text-ish search: a case-insensitive substring match on the fields clients display.
/// `rooms_json` is a JSON array of room ids, expanded with `json_each` so the statement stays
/// cacheable whatever the number of rooms.
pub(crate) fn search(
    conn: &Connection,
    rooms_json: &str,
    term: &str,
    before: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>> {
    query_events(
        conn,
        &format!(
            "SELECT {EVENT_COLUMNS} FROM events e
             WHERE e.room_id IN (SELECT value FROM json_each(?1)) AND e.stream < ?2 AND e.redacted_by IS NULL
               AND (instr(lower(json_extract(e.json, '$.content.body')), lower(?3)) > 0
                 OR instr(lower(json_extract(e.json, '$.content.name')), lower(?3)) > 0
                 OR instr(lower(json_extract(e.json, '$.content.topic')), lower(?3)) > 0)
             ORDER BY e.stream DESC LIMIT ?4"
        ),
        params![rooms_json, before, term, i64::try_from(limit).unwrap_or(i64::MAX)],
    )
}

/// Up to `limit` events with `stream > after`, oldest first.
pub(crate) fn forward(conn: &Connection, room_id: &str, after: i64, limit: usize) -> Result<Vec<StoredEvent>> {
    query_events(
        conn,
        &format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.room_id = ?1 AND e.stream > ?2
             ORDER BY e.stream ASC LIMIT ?3"
        ),
        params![room_id, after, i64::try_from(limit).unwrap_or(i64::MAX)],
    )
}
