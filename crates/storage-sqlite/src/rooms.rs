//! Rooms, memberships and aliases ([`RoomStore`]); event and state queries are delegated to
//! [`crate::events`] and [`crate::state`].

use rempart_storage::{
    Membership, MembershipRecord, NewEvent, NewRoom, Result, RoomOverview, RoomRecord, RoomStore, StoredEvent,
};
use ruma::{
    DeviceId, EventId, OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedUserId, RoomAliasId, RoomId, ServerName,
    UserId, events::StateEventType,
};
use rusqlite::{Connection, OptionalExtension, Params, Row, params};

use crate::events::{self, EVENT_COLUMNS, query_event, query_events};
use crate::{SqliteStore, backend, corrupt, parse_id, room_admin, state, to_u64};

const ROOM_COLUMNS: &str = "room_id, version, creator, created_ts, published";
const MEMBERSHIP_COLUMNS: &str = "room_id, user_id, membership, event_id, stream, forgotten";

pub(crate) type RoomRow = (String, String, String, i64, bool);
type MembershipRow = (String, String, String, String, i64, bool);

pub(crate) fn read_room(row: &Row<'_>) -> rusqlite::Result<RoomRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
}

pub(crate) fn room_record((room_id, version, creator, created_ts, published): RoomRow) -> Result<RoomRecord> {
    Ok(RoomRecord {
        room_id: parse_id(room_id, "room id")?,
        version: parse_id(version, "room version")?,
        creator: parse_id(creator, "user id")?,
        created_ts: to_u64(created_ts)?,
        published,
    })
}

fn read_membership(row: &Row<'_>) -> rusqlite::Result<MembershipRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
}

fn membership_record(row: MembershipRow) -> Result<MembershipRecord> {
    let (room_id, user_id, membership, event_id, stream, forgotten) = row;
    Ok(MembershipRecord {
        room_id: parse_id(room_id, "room id")?,
        user_id: parse_id(user_id, "user id")?,
        membership: Membership::parse(&membership).ok_or_else(|| corrupt(format!("membership {membership:?}")))?,
        event_id: parse_id(event_id, "event id")?,
        stream,
        forgotten,
    })
}

fn query_memberships(conn: &Connection, sql: &str, params: impl Params) -> Result<Vec<MembershipRecord>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt.query_map(params, read_membership).and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>);
    rows.map_err(backend)?.into_iter().map(membership_record).collect()
}

/// Runs a query returning one id column and parses every value as `T`.
fn query_ids<T: TryFrom<String>>(conn: &Connection, sql: &str, params: impl Params, what: &str) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows =
        stmt.query_map(params, |r| r.get::<_, String>(0)).and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>);
    rows.map_err(backend)?.into_iter().map(|id| parse_id(id, what)).collect()
}

fn insert_alias(conn: &Connection, alias: &RoomAliasId, room_id: &RoomId, creator: &UserId) -> Result<()> {
    // A taken alias violates the primary key, which `backend` reports as Conflict.
    conn.execute(
        "INSERT INTO room_aliases (alias, room_id, creator) VALUES (?1, ?2, ?3)",
        [alias.as_str(), room_id.as_str(), creator.as_str()],
    )
    .map_err(backend)?;
    Ok(())
}

impl RoomStore for SqliteStore {
    fn append_events(&self, new_room: Option<&NewRoom>, new_events: &[NewEvent]) -> Result<Vec<i64>> {
        let prepared = new_events.iter().map(events::prepare).collect::<Result<Vec<_>>>()?;
        self.write(|tx| {
            if let Some(room) = new_room {
                events::insert_room(tx, &room.record)?;
                if let Some(alias) = &room.alias {
                    insert_alias(tx, alias, &room.record.room_id, &room.record.creator)?;
                }
            }
            prepared.iter().map(|event| events::append(tx, event)).collect()
        })
    }

    fn get_room(&self, room_id: &RoomId) -> Result<Option<RoomRecord>> {
        let row = self.read(|tx| {
            tx.prepare_cached(&format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE room_id = ?1"))
                .and_then(|mut stmt| stmt.query_row([room_id.as_str()], read_room).optional())
                .map_err(backend)
        })?;
        row.map(room_record).transpose()
    }

    fn list_rooms(&self) -> Result<Vec<RoomRecord>> {
        let rows = self.read(|tx| {
            let mut stmt =
                tx.prepare(&format!("SELECT {ROOM_COLUMNS} FROM rooms ORDER BY room_id")).map_err(backend)?;
            stmt.query_map([], read_room).and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>).map_err(backend)
        })?;
        rows.into_iter().map(room_record).collect()
    }

    fn set_room_published(&self, room_id: &RoomId, published: bool) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE rooms SET published = ?2 WHERE room_id = ?1", params![room_id.as_str(), published])
                .map_err(backend)?;
            Ok(())
        })
    }

    fn get_event(&self, event_id: &EventId) -> Result<Option<StoredEvent>> {
        self.read(|tx| {
            query_event(tx, &format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.event_id = ?1"), [event_id.as_str()])
        })
    }

    fn get_events(&self, event_ids: &[OwnedEventId]) -> Result<Vec<StoredEvent>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.event_id = ?1");
        self.read(|tx| {
            let mut found = Vec::with_capacity(event_ids.len());
            for event_id in event_ids {
                found.extend(query_event(tx, &sql, [event_id.as_str()])?);
            }
            Ok(found)
        })
    }

    fn event_for_txn(&self, user_id: &UserId, device_id: &DeviceId, txn_id: &str) -> Result<Option<OwnedEventId>> {
        let id: Option<String> = self.read(|tx| {
            tx.prepare_cached("SELECT event_id FROM events WHERE sender = ?1 AND txn_device = ?2 AND txn_id = ?3")
                .and_then(|mut stmt| {
                    stmt.query_row([user_id.as_str(), device_id.as_str(), txn_id], |r| r.get(0)).optional()
                })
                .map_err(backend)
        })?;
        id.map(|id| parse_id(id, "event id")).transpose()
    }

    fn current_state(&self, room_id: &RoomId) -> Result<Vec<StoredEvent>> {
        self.read(|tx| {
            query_events(
                tx,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM current_state c JOIN events e ON e.event_id = c.event_id
                     WHERE c.room_id = ?1 ORDER BY c.type, c.state_key"
                ),
                [room_id.as_str()],
            )
        })
    }

    fn current_state_event(
        &self,
        room_id: &RoomId,
        kind: &StateEventType,
        state_key: &str,
    ) -> Result<Option<StoredEvent>> {
        let kind = kind.to_string();
        self.read(|tx| {
            query_event(
                tx,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM current_state c JOIN events e ON e.event_id = c.event_id
                     WHERE c.room_id = ?1 AND c.type = ?2 AND c.state_key = ?3"
                ),
                [room_id.as_str(), &kind, state_key],
            )
        })
    }

    fn current_state_group(&self, room_id: &RoomId) -> Result<Option<i64>> {
        self.read(|tx| state::current_group(tx, room_id.as_str()))
    }

    fn state_group_entries(&self, group: i64) -> Result<Vec<(StateEventType, String, OwnedEventId)>> {
        let entries = self.read(|tx| state::resolve(tx, group))?;
        entries
            .into_iter()
            .map(|(kind, state_key, event_id)| {
                Ok((StateEventType::from(kind.as_str()), state_key, parse_id(event_id, "event id")?))
            })
            .collect()
    }

    fn state_group_lookup(&self, group: i64, kind: &StateEventType, state_key: &str) -> Result<Option<OwnedEventId>> {
        let key = (group, kind.to_string(), state_key.to_owned());
        let id = match self.state_cache.get(&key) {
            Some(id) => id,
            None => {
                let generation = self.read_generation();
                let id = self.read(|tx| state::lookup(tx, group, &key.1, &key.2))?;
                self.state_cache.insert(generation, key, id.clone());
                id
            }
        };
        id.map(|id| parse_id(id, "event id")).transpose()
    }

    fn forward_extremities(&self, room_id: &RoomId) -> Result<Vec<(OwnedEventId, u64)>> {
        let rows: Vec<(String, i64)> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached("SELECT event_id, depth FROM forward_extremities WHERE room_id = ?1 ORDER BY event_id")
                .map_err(backend)?;
            stmt.query_map([room_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(backend)
        })?;
        rows.into_iter().map(|(id, depth)| Ok((parse_id(id, "event id")?, to_u64(depth)?))).collect()
    }

    fn timeline_latest(
        &self,
        room_id: &RoomId,
        after: i64,
        until: i64,
        limit: usize,
    ) -> Result<(Vec<StoredEvent>, bool)> {
        self.read(|tx| events::latest(tx, room_id.as_str(), after, until, limit))
    }

    fn timeline_backward(&self, room_id: &RoomId, before: i64, limit: usize) -> Result<Vec<StoredEvent>> {
        self.read(|tx| events::backward(tx, room_id.as_str(), before, limit))
    }

    fn timeline_forward(&self, room_id: &RoomId, after: i64, limit: usize) -> Result<Vec<StoredEvent>> {
        self.read(|tx| events::forward(tx, room_id.as_str(), after, limit))
    }

    fn search_events(
        &self,
        room_ids: &[OwnedRoomId],
        term: &str,
        before: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let rooms = serde_json::to_string(&room_ids).map_err(|e| corrupt(e.to_string()))?;
        self.read(|tx| events::search(tx, &rooms, term, before, limit))
    }

    fn latest_event_at(&self, room_id: &RoomId, at: i64) -> Result<Option<StoredEvent>> {
        self.read(|tx| {
            query_event(
                tx,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events e WHERE e.room_id = ?1 AND e.stream <= ?2
                     ORDER BY e.stream DESC LIMIT 1"
                ),
                params![room_id.as_str(), at],
            )
        })
    }

    fn user_memberships(&self, user_id: &UserId) -> Result<Vec<MembershipRecord>> {
        self.read(|tx| {
            query_memberships(
                tx,
                &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE user_id = ?1 ORDER BY room_id"),
                [user_id.as_str()],
            )
        })
    }

    fn membership(&self, room_id: &RoomId, user_id: &UserId) -> Result<Option<MembershipRecord>> {
        let row = self.read(|tx| {
            tx.prepare_cached(&format!(
                "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE room_id = ?1 AND user_id = ?2"
            ))
            .and_then(|mut stmt| stmt.query_row([room_id.as_str(), user_id.as_str()], read_membership).optional())
            .map_err(backend)
        })?;
        row.map(membership_record).transpose()
    }

    fn joined_member_count(&self, room_id: &RoomId) -> Result<u64> {
        let count: i64 = self.read(|tx| {
            tx.prepare_cached("SELECT count(*) FROM memberships WHERE room_id = ?1 AND membership = 'join'")
                .and_then(|mut stmt| stmt.query_row([room_id.as_str()], |r| r.get(0)))
                .map_err(backend)
        })?;
        to_u64(count)
    }

    fn room_memberships(&self, room_id: &RoomId) -> Result<Vec<MembershipRecord>> {
        self.read(|tx| {
            query_memberships(
                tx,
                &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE room_id = ?1 ORDER BY user_id"),
                [room_id.as_str()],
            )
        })
    }

    fn forget_room(&self, room_id: &RoomId, user_id: &UserId) -> Result<()> {
        self.write(|tx| {
            // Only a room the user is out of can be forgotten; for any other membership this is
            // a no-op, and the caller reports the error.
            tx.execute(
                "UPDATE memberships SET forgotten = 1
                 WHERE room_id = ?1 AND user_id = ?2 AND membership IN ('leave', 'ban')",
                [room_id.as_str(), user_id.as_str()],
            )
            .map_err(backend)?;
            Ok(())
        })
    }

    fn users_sharing_rooms(&self, user_id: &UserId) -> Result<Vec<OwnedUserId>> {
        self.read(|tx| {
            query_ids(
                tx,
                "SELECT DISTINCT other.user_id FROM memberships mine
                 JOIN memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
                 WHERE mine.user_id = ?1 AND mine.membership = 'join'
                 ORDER BY other.user_id",
                [user_id.as_str()],
                "user id",
            )
        })
    }

    fn users_in_public_rooms(&self) -> Result<Vec<OwnedUserId>> {
        self.read(|tx| {
            query_ids(
                tx,
                "SELECT DISTINCT m.user_id FROM current_state c
                 JOIN events e ON e.event_id = c.event_id
                 JOIN memberships m ON m.room_id = c.room_id AND m.membership = 'join'
                 WHERE c.type = 'm.room.join_rules' AND c.state_key = ''
                   AND json_extract(e.json, '$.content.join_rule') = 'public'
                 ORDER BY m.user_id",
                [],
                "user id",
            )
        })
    }

    fn create_alias(&self, alias: &RoomAliasId, room_id: &RoomId, creator: &UserId) -> Result<()> {
        self.write(|tx| insert_alias(tx, alias, room_id, creator))
    }

    fn resolve_alias(&self, alias: &RoomAliasId) -> Result<Option<(OwnedRoomId, OwnedUserId)>> {
        let row: Option<(String, String)> = self.read(|tx| {
            tx.prepare_cached("SELECT room_id, creator FROM room_aliases WHERE alias = ?1")
                .and_then(|mut stmt| stmt.query_row([alias.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(backend)
        })?;
        row.map(|(room_id, creator)| Ok((parse_id(room_id, "room id")?, parse_id(creator, "user id")?))).transpose()
    }

    fn delete_alias(&self, alias: &RoomAliasId) -> Result<bool> {
        self.write(|tx| {
            let deleted = tx.execute("DELETE FROM room_aliases WHERE alias = ?1", [alias.as_str()]).map_err(backend)?;
            Ok(deleted > 0)
        })
    }

    fn room_aliases(&self, room_id: &RoomId) -> Result<Vec<OwnedRoomAliasId>> {
        self.read(|tx| {
            query_ids(
                tx,
                "SELECT alias FROM room_aliases WHERE room_id = ?1 ORDER BY alias",
                [room_id.as_str()],
                "room alias",
            )
        })
    }

    fn room_overviews(
        &self,
        only: Option<&RoomId>,
        kinds: &[&str],
        local_server: &ServerName,
    ) -> Result<Vec<RoomOverview>> {
        self.read(|tx| room_admin::overviews(tx, only.map(RoomId::as_str), kinds, local_server.as_str()))
    }

    fn purge_room(&self, room_id: &RoomId) -> Result<bool> {
        let purged = self.write(|tx| room_admin::purge(tx, room_id.as_str()));
        // The room's state groups are gone and their ids may be handed out again.
        self.state_cache.invalidate();
        purged
    }

    fn block_room(&self, room_id: &RoomId, blocked_by: &str, now: u64) -> Result<()> {
        self.write(|tx| room_admin::block(tx, room_id.as_str(), blocked_by, now))
    }

    fn is_room_blocked(&self, room_id: &RoomId) -> Result<bool> {
        self.read(|tx| room_admin::is_blocked(tx, room_id.as_str()))
    }

    fn notice_room(&self, user_id: &UserId) -> Result<Option<OwnedRoomId>> {
        let room_id = self.read(|tx| room_admin::notice_room(tx, user_id.as_str()))?;
        room_id.map(|id| parse_id(id, "room id")).transpose()
    }

    fn set_notice_room(&self, user_id: &UserId, room_id: &RoomId) -> Result<()> {
        self.write(|tx| room_admin::set_notice_room(tx, user_id.as_str(), room_id.as_str()))
    }
}
