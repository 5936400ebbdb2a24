//! Account data, receipts, filters and presence ([`StreamStore`]): per-user data that sync
//! delivers by position in the global stream, which every write here advances.

use rempart_storage::{
    AccountDataRecord, PresenceState, PresenceUpdate, ReceiptRecord, Result, StorageError, StreamStore,
};
use ruma::{OwnedUserId, RoomId, UserId};
use rusqlite::{OptionalExtension, params};

use crate::events::next_stream;
use crate::{SqliteStore, backend, corrupt, parse_id, to_i64, to_u64};

fn to_json(value: &serde_json::Value) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Backend(format!("serialising JSON: {e}")))
}

fn from_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("stored JSON: {e}")))
}

impl StreamStore for SqliteStore {
    fn max_stream(&self) -> Result<i64> {
        self.read(|tx| {
            tx.prepare_cached("SELECT pos FROM stream_counter WHERE id = 0")
                .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
                .map_err(backend)
        })
    }

    fn put_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
        content: &serde_json::Value,
    ) -> Result<i64> {
        // Null content deletes the entry, kept as a NULL tombstone with a fresh stream position
        // so that `account_data_since` reports the deletion (as `{}` content).
        let content = if content.is_null() { None } else { Some(to_json(content)?) };
        let room = room_id.map_or("", RoomId::as_str);
        self.write(|tx| {
            let stream = next_stream(tx)?;
            tx.prepare_cached(
                "INSERT INTO account_data (user_id, room_id, type, content, stream) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id, room_id, type) DO UPDATE SET
                     content = excluded.content, stream = excluded.stream",
            )
            .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), room, kind, content, stream]))
            .map_err(backend)?;
            Ok(stream)
        })
    }

    fn get_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
    ) -> Result<Option<serde_json::Value>> {
        let room = room_id.map_or("", RoomId::as_str);
        let content: Option<Option<String>> = self.read(|tx| {
            tx.prepare_cached("SELECT content FROM account_data WHERE user_id = ?1 AND room_id = ?2 AND type = ?3")
                .and_then(|mut stmt| stmt.query_row([user_id.as_str(), room, kind], |r| r.get(0)).optional())
                .map_err(backend)
        })?;
        content.flatten().map(|text| from_json(&text)).transpose()
    }

    fn account_data_since(&self, user_id: &UserId, since: i64) -> Result<Vec<AccountDataRecord>> {
        let rows: Vec<(String, String, Option<String>, i64)> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT room_id, type, content, stream FROM account_data
                     WHERE user_id = ?1 AND stream > ?2 ORDER BY stream",
                )
                .map_err(backend)?;
            stmt.query_map(params![user_id.as_str(), since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(room, kind, content, stream)| {
                Ok(AccountDataRecord {
                    room_id: if room.is_empty() { None } else { Some(parse_id(room, "room id")?) },
                    kind,
                    content: match content {
                        Some(text) => from_json(&text)?,
                        None => serde_json::Value::Object(serde_json::Map::new()),
                    },
                    stream,
                })
            })
            .collect()
    }

    fn put_receipt(&self, receipt: &ReceiptRecord) -> Result<i64> {
        let ts = to_i64(receipt.ts)?;
        let thread = receipt.thread_id.as_deref().unwrap_or("");
        self.write(|tx| {
            let stream = next_stream(tx)?;
            tx.prepare_cached(
                "INSERT INTO receipts (room_id, user_id, receipt_type, thread_id, event_id, ts, stream)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE SET
                     event_id = excluded.event_id, ts = excluded.ts, stream = excluded.stream",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    receipt.room_id.as_str(),
                    receipt.user_id.as_str(),
                    receipt.receipt_type,
                    thread,
                    receipt.event_id.as_str(),
                    ts,
                    stream
                ])
            })
            .map_err(backend)?;
            Ok(stream)
        })
    }

    fn receipts_since(&self, room_id: &RoomId, since: i64) -> Result<Vec<ReceiptRecord>> {
        type Row = (String, String, String, String, i64, i64);
        let rows: Vec<Row> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT user_id, receipt_type, thread_id, event_id, ts, stream FROM receipts
                     WHERE room_id = ?1 AND stream > ?2 ORDER BY stream",
                )
                .map_err(backend)?;
            stmt.query_map(params![room_id.as_str(), since], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(user_id, receipt_type, thread, event_id, ts, stream)| {
                Ok(ReceiptRecord {
                    room_id: room_id.to_owned(),
                    user_id: parse_id(user_id, "user id")?,
                    receipt_type,
                    thread_id: if thread.is_empty() { None } else { Some(thread) },
                    event_id: parse_id(event_id, "event id")?,
                    ts: to_u64(ts)?,
                    stream,
                })
            })
            .collect()
    }

    fn create_filter(&self, user_id: &UserId, filter: &serde_json::Value) -> Result<String> {
        let json = to_json(filter)?;
        self.write(|tx| {
            // Ids count up per user from 0, as Synapse's do; they are only meaningful together
            // with the user id, so they reveal nothing about other accounts.
            let id: i64 = tx
                .query_row(
                    "INSERT INTO filters (user_id, filter_id, json)
                     SELECT ?1, coalesce(max(filter_id) + 1, 0), ?2 FROM filters WHERE user_id = ?1
                     RETURNING filter_id",
                    params![user_id.as_str(), json],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            Ok(id.to_string())
        })
    }

    fn get_filter(&self, user_id: &UserId, filter_id: &str) -> Result<Option<serde_json::Value>> {
        // Ids are decimal integers; anything else names no filter.
        let Ok(id) = filter_id.parse::<i64>() else { return Ok(None) };
        let json: Option<String> = self.read(|tx| {
            tx.prepare_cached("SELECT json FROM filters WHERE user_id = ?1 AND filter_id = ?2")
                .and_then(|mut stmt| stmt.query_row(params![user_id.as_str(), id], |r| r.get(0)).optional())
                .map_err(backend)
        })?;
        json.map(|text| from_json(&text)).transpose()
    }

    fn put_presence(&self, user_id: &UserId, presence: &str, status_msg: Option<&str>, now: u64) -> Result<i64> {
        let now = to_i64(now)?;
        self.write(|tx| {
            let stream = next_stream(tx)?;
            tx.prepare_cached(
                "INSERT INTO presence (user_id, presence, status_msg, last_active_ts, stream) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence, status_msg = excluded.status_msg,
                     last_active_ts = excluded.last_active_ts, stream = excluded.stream",
            )
            .and_then(|mut stmt| stmt.execute(params![user_id.as_str(), presence, status_msg, now, stream]))
            .map_err(backend)?;
            Ok(stream)
        })
    }

    fn get_presence(&self, user_id: &UserId) -> Result<Option<PresenceState>> {
        let row: Option<(String, Option<String>, i64, i64)> = self.read(|tx| {
            tx.prepare_cached("SELECT presence, status_msg, last_active_ts, stream FROM presence WHERE user_id = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row([user_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional()
                })
                .map_err(backend)
        })?;
        row.map(|(presence, status_msg, ts, stream)| Ok((presence, status_msg, to_u64(ts)?, stream))).transpose()
    }

    fn latest_presence_stream(&self) -> Result<i64> {
        self.read(|tx| {
            tx.prepare_cached("SELECT coalesce(max(stream), 0) FROM presence")
                .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
                .map_err(backend)
        })
    }

    fn presence_since(&self, user_ids: &[OwnedUserId], since: i64) -> Result<Vec<PresenceUpdate>> {
        // The id list travels as one JSON array parameter: it can be far longer than SQLite's
        // limit on bound parameters.
        let ids = serde_json::to_string(user_ids).map_err(|e| StorageError::Backend(e.to_string()))?;
        let rows: Vec<(String, String, Option<String>, i64, i64)> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT user_id, presence, status_msg, last_active_ts, stream FROM presence
                     WHERE user_id IN (SELECT value FROM json_each(?1)) AND stream > ?2 ORDER BY stream",
                )
                .map_err(backend)?;
            stmt.query_map(params![ids, since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(user_id, presence, status_msg, ts, stream)| {
                Ok((parse_id(user_id, "user id")?, presence, status_msg, to_u64(ts)?, stream))
            })
            .collect()
    }
}
