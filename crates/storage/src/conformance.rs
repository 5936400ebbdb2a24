//! Conformance suite: the behaviour every storage backend must have, written once against the
//! traits. Each public function takes a fresh, empty store and panics on the first deviation;
//! [`storage_conformance_tests!`](crate::storage_conformance_tests) turns them into `#[test]`s.
//!
//! Events are built by hand (this crate must not depend on `rempart-state`): they are
//! structurally valid PDUs, unsigned, with short event ids such as `$r1-create`.

use rempart_types::pdu::Pdu;
use ruma::{
    CanonicalJsonObject, CanonicalJsonValue, OwnedDeviceId, OwnedEventId, OwnedRoomId, OwnedUserId, RoomVersionId,
};
use serde_json::{Value, json};

use crate::{NewEvent, NewUser, RoomRecord, Storage, StorageError, StoredEvent};

mod accounts;
mod backup;
mod events;
mod keys;
mod media;
mod pushers;
mod room_admin;
mod rooms;
mod sessions;
mod streams;
mod to_device;

pub use accounts::{password_change_and_deactivation, sessions, users};
pub use backup::{backup_key_replacement, backup_key_scopes, backup_versions};
pub use events::{
    append_events_is_atomic, append_events_state_groups, forward_extremities, redactions, state_group_chains,
    transaction_ids,
};
pub use keys::{cross_signing, device_lists, key_claims, key_uploads};
pub use media::{media_async_uploads, media_links_and_deletion, media_uploads_and_quota};
pub use pushers::{pushers_append, pushers_deletion, pushers_per_user};
pub use room_admin::{notice_rooms, room_blocks, room_overviews, room_purge};
pub use rooms::{aliases, memberships, room_with_alias, rooms, search, timelines};
pub use sessions::{
    session_history, session_history_is_bounded_per_session, session_history_outlives_devices, session_history_pruning,
};
pub use streams::{account_data, filters, presence, receipts, stream_is_shared};
pub use to_device::{to_device_acknowledgement, to_device_queues, to_device_transaction_ids};

/// Expands to one `#[test]` per conformance function. `$make` is evaluated once per test and
/// must yield a fresh, empty store behind something that derefs to it (`Box::new(store)`, or a
/// fixture owning a temporary directory and implementing `Deref`).
#[macro_export]
macro_rules! storage_conformance_tests {
    ($make:expr) => {
        $crate::storage_conformance_tests!(@each $make;
            users, sessions, password_change_and_deactivation, rooms, append_events_state_groups, state_group_chains, forward_extremities,
            redactions, transaction_ids, timelines, memberships, aliases, account_data, receipts, filters,
            presence, stream_is_shared, append_events_is_atomic, search,
            room_with_alias, to_device_queues, to_device_transaction_ids, to_device_acknowledgement,
            backup_versions, backup_key_replacement, backup_key_scopes,
            key_uploads, key_claims, cross_signing, device_lists, pushers_per_user, pushers_append,
            pushers_deletion, media_uploads_and_quota, media_async_uploads, media_links_and_deletion,
            room_overviews, room_purge, room_blocks, notice_rooms,
            session_history, session_history_pruning, session_history_outlives_devices, session_history_is_bounded_per_session,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let fixture = $make;
                $crate::conformance::$name(&*fixture);
            }
        )*
    };
}

fn user(id: &str) -> OwnedUserId {
    OwnedUserId::try_from(id).expect("valid user id")
}

fn room(id: &str) -> OwnedRoomId {
    OwnedRoomId::try_from(id).expect("valid room id")
}

fn event_id(id: &str) -> OwnedEventId {
    OwnedEventId::try_from(id).expect("valid event id")
}

fn device(id: &str) -> OwnedDeviceId {
    OwnedDeviceId::from(id)
}

fn new_user(id: &str) -> NewUser {
    NewUser { user_id: user(id), password_hash: Some("$argon2id$fake".into()), is_admin: false, displayname: None }
}

fn new_room(room_id: &str, creator: &str) -> crate::NewRoom {
    crate::NewRoom { record: record(room_id, creator), alias: None }
}

pub(crate) fn record(room_id: &str, creator: &str) -> RoomRecord {
    RoomRecord {
        room_id: room(room_id),
        version: RoomVersionId::V11,
        creator: user(creator),
        created_ts: 1_000,
        published: false,
    }
}

/// A hand-built PDU: the fields `Pdu::from_json` reads, with no real hashes or signatures.
#[expect(clippy::too_many_arguments, reason = "one argument per PDU field reads best at the call sites")]
fn pdu(
    id: &str,
    room_id: &str,
    sender: &str,
    kind: &str,
    state_key: Option<&str>,
    content: Value,
    prev: &[&str],
    depth: u64,
) -> Pdu {
    let mut object = json!({
        "auth_events": [],
        "content": content,
        "depth": depth,
        "hashes": { "sha256": "aGFzaA" },
        "origin_server_ts": 1_700_000_000_000u64 + depth,
        "prev_events": prev,
        "room_id": room_id,
        "sender": sender,
        "signatures": {},
        "type": kind,
    });
    if let (Some(key), Some(map)) = (state_key, object.as_object_mut()) {
        map.insert("state_key".into(), key.into());
    }
    let json: CanonicalJsonObject = match CanonicalJsonValue::try_from(object).expect("canonical JSON") {
        CanonicalJsonValue::Object(json) => json,
        _ => unreachable!("built from an object"),
    };
    Pdu::from_json(event_id(id), room(room_id), json).expect("well-formed PDU")
}

/// Builds a linear room DAG: every event follows the previous one, one depth deeper.
pub(crate) struct Chain {
    room_id: String,
    prev: Option<String>,
    depth: u64,
}

impl Chain {
    pub(crate) fn new(room_id: &str) -> Self {
        Self { room_id: room_id.into(), prev: None, depth: 0 }
    }

    fn event(&mut self, id: &str, sender: &str, kind: &str, state_key: Option<&str>, content: Value) -> NewEvent {
        self.depth += 1;
        let prev: Vec<&str> = self.prev.as_deref().into_iter().collect();
        let pdu = pdu(id, &self.room_id, sender, kind, state_key, content, &prev, self.depth);
        self.prev = Some(id.into());
        NewEvent { pdu, txn: None, redaction: None, media_links: Vec::new() }
    }

    pub(crate) fn state(&mut self, id: &str, sender: &str, kind: &str, state_key: &str, content: Value) -> NewEvent {
        self.event(id, sender, kind, Some(state_key), content)
    }

    fn member(&mut self, id: &str, member: &str, membership: &str) -> NewEvent {
        self.state(id, member, "m.room.member", member, json!({ "membership": membership }))
    }

    fn message(&mut self, id: &str, sender: &str, body: &str) -> NewEvent {
        self.event(id, sender, "m.room.message", None, json!({ "msgtype": "m.text", "body": body }))
    }
}

/// Creates a room with its create event, the creator's join and a join rule, returning the
/// chain to extend it. Event ids are `${tag}-create`, `${tag}-join`, `${tag}-rules`.
fn create_room(store: &dyn Storage, room_id: &str, tag: &str, creator: &str, join_rule: &str) -> Chain {
    let mut chain = Chain::new(room_id);
    let events = [
        chain.state(&format!("${tag}-create"), creator, "m.room.create", "", json!({ "room_version": "11" })),
        chain.member(&format!("${tag}-join"), creator, "join"),
        chain.state(&format!("${tag}-rules"), creator, "m.room.join_rules", "", json!({ "join_rule": join_rule })),
    ];
    store.append_events(Some(&new_room(room_id, creator)), &events).expect("room created");
    chain
}

fn append(store: &dyn Storage, events: &[NewEvent]) -> Vec<i64> {
    store.append_events(None, events).expect("events appended")
}

fn stored(store: &dyn Storage, id: &str) -> StoredEvent {
    store.get_event(&event_id(id)).expect("get_event").unwrap_or_else(|| panic!("event {id} is stored"))
}

fn ids(events: &[StoredEvent]) -> Vec<String> {
    events.iter().map(|e| e.pdu.event_id.to_string()).collect()
}

fn streams(events: &[StoredEvent]) -> Vec<i64> {
    events.iter().map(|e| e.stream).collect()
}

fn is_conflict<T: std::fmt::Debug>(result: crate::Result<T>) -> bool {
    matches!(result, Err(StorageError::Conflict(_)))
}
