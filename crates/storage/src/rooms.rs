//! Rooms, their events, their state (as deduplicated state groups) and memberships.

use std::{collections::BTreeMap, sync::Arc};

use rempart_types::pdu::Pdu;
use ruma::{
    CanonicalJsonObject, DeviceId, EventId, OwnedDeviceId, OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedUserId,
    RoomAliasId, RoomId, RoomVersionId, ServerName, UserId, events::StateEventType,
};

use crate::Result;

/// A room this shard knows.
#[derive(Debug, Clone)]
pub struct RoomRecord {
    /// Room id.
    pub room_id: OwnedRoomId,
    /// Room version.
    pub version: RoomVersionId,
    /// Who created it.
    pub creator: OwnedUserId,
    /// Creation time.
    pub created_ts: u64,
    /// Listed in the public room directory.
    pub published: bool,
}

/// A room to create together with its first events.
#[derive(Debug, Clone)]
pub struct NewRoom {
    /// The room.
    pub record: RoomRecord,
    /// A local alias to create with it, so the alias and the room exist together or not at all.
    pub alias: Option<OwnedRoomAliasId>,
}

/// Membership states, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Membership {
    /// `join`
    Join,
    /// `invite`
    Invite,
    /// `leave`
    Leave,
    /// `ban`
    Ban,
    /// `knock`
    Knock,
}

impl Membership {
    /// Spec name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Invite => "invite",
            Self::Leave => "leave",
            Self::Ban => "ban",
            Self::Knock => "knock",
        }
    }

    /// Parses a spec name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "join" => Self::Join,
            "invite" => Self::Invite,
            "leave" => Self::Leave,
            "ban" => Self::Ban,
            "knock" => Self::Knock,
            _ => return None,
        })
    }
}

/// A user's current membership in a room.
#[derive(Debug, Clone)]
pub struct MembershipRecord {
    /// Room.
    pub room_id: OwnedRoomId,
    /// Member.
    pub user_id: OwnedUserId,
    /// Current membership.
    pub membership: Membership,
    /// The membership event.
    pub event_id: OwnedEventId,
    /// Stream position of the membership event.
    pub stream: i64,
    /// The user forgot the room (only after leaving).
    pub forgotten: bool,
}

/// An event as stored, with its place in the stream and in the room's state history.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The event (already redacted if it was redacted).
    pub pdu: Arc<Pdu>,
    /// Global stream position.
    pub stream: i64,
    /// State group of the room state before this event.
    pub state_group_before: Option<i64>,
    /// State group of the room state after this event.
    pub state_group: i64,
    /// The redaction that removed this event's content, if any.
    pub redacted_by: Option<OwnedEventId>,
    /// Transaction id the sender's device used, echoed only to that device.
    pub txn: Option<(OwnedDeviceId, String)>,
}

/// A redaction to apply together with the event that performs it.
#[derive(Debug, Clone)]
pub struct Redaction {
    /// The event being redacted.
    pub target: OwnedEventId,
    /// Its redacted JSON, computed with the room version's algorithm.
    pub redacted_json: CanonicalJsonObject,
}

/// An event to append to a room's timeline.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The authorised, signed event.
    pub pdu: Pdu,
    /// `(device, transaction id)` for client idempotency.
    pub txn: Option<(OwnedDeviceId, String)>,
    /// A redaction applied by this event.
    pub redaction: Option<Redaction>,
    /// Ids of local files this event references and that its sender was allowed to share
    /// (see the media access rule in `rempart-core`): recorded with the event.
    pub media_links: Vec<String>,
}

/// Rooms, events and state.
pub trait RoomStore {
    /// Appends events in order, in one transaction: allocates their stream positions, creates
    /// state groups for state events (deduplicated: a message shares its predecessor's group),
    /// updates current state, memberships and forward extremities, applies redactions and, when
    /// `new_room` is given, creates the room (and its alias) first. An alias already taken is a
    /// `Conflict` and nothing is written. Returns the stream positions.
    fn append_events(&self, new_room: Option<&NewRoom>, events: &[NewEvent]) -> Result<Vec<i64>>;

    /// A room's record.
    fn get_room(&self, room_id: &RoomId) -> Result<Option<RoomRecord>>;
    /// Every room, for the admin API and directory.
    fn list_rooms(&self) -> Result<Vec<RoomRecord>>;
    /// Lists or unlists a room in the directory.
    fn set_room_published(&self, room_id: &RoomId, published: bool) -> Result<()>;

    /// One event.
    fn get_event(&self, event_id: &EventId) -> Result<Option<StoredEvent>>;
    /// Several events; missing ones are skipped.
    fn get_events(&self, event_ids: &[OwnedEventId]) -> Result<Vec<StoredEvent>>;
    /// The event a device sent with a transaction id, for idempotent sends.
    fn event_for_txn(&self, user_id: &UserId, device_id: &DeviceId, txn_id: &str) -> Result<Option<OwnedEventId>>;

    /// Current state of a room.
    fn current_state(&self, room_id: &RoomId) -> Result<Vec<StoredEvent>>;
    /// One entry of a room's current state.
    fn current_state_event(
        &self,
        room_id: &RoomId,
        kind: &StateEventType,
        state_key: &str,
    ) -> Result<Option<StoredEvent>>;
    /// The room's current state group, if it has any event.
    fn current_state_group(&self, room_id: &RoomId) -> Result<Option<i64>>;
    /// All `(type, state_key, event id)` entries of a state group.
    fn state_group_entries(&self, group: i64) -> Result<Vec<(StateEventType, String, OwnedEventId)>>;
    /// One entry of a state group.
    fn state_group_lookup(&self, group: i64, kind: &StateEventType, state_key: &str) -> Result<Option<OwnedEventId>>;
    /// Forward extremities with their depths.
    fn forward_extremities(&self, room_id: &RoomId) -> Result<Vec<(OwnedEventId, u64)>>;

    /// Up to `limit` events with `after < stream <= until`, oldest first, keeping the newest when
    /// there are more; the flag says whether some were left out.
    fn timeline_latest(
        &self,
        room_id: &RoomId,
        after: i64,
        until: i64,
        limit: usize,
    ) -> Result<(Vec<StoredEvent>, bool)>;
    /// Up to `limit` events with `stream < before`, newest first.
    fn timeline_backward(&self, room_id: &RoomId, before: i64, limit: usize) -> Result<Vec<StoredEvent>>;
    /// Up to `limit` events with `stream > after`, oldest first.
    fn timeline_forward(&self, room_id: &RoomId, after: i64, limit: usize) -> Result<Vec<StoredEvent>>;
    /// Up to `limit` unredacted events of the given rooms whose `body`, `name` or `topic`
    /// contains `term` (case-insensitively), with `stream < before`, newest first.
    fn search_events(
        &self,
        room_ids: &[OwnedRoomId],
        term: &str,
        before: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>>;
    /// The newest event of a room at or before `at`.
    fn latest_event_at(&self, room_id: &RoomId, at: i64) -> Result<Option<StoredEvent>>;

    /// A user's current memberships (all rooms, any membership).
    fn user_memberships(&self, user_id: &UserId) -> Result<Vec<MembershipRecord>>;
    /// One membership.
    fn membership(&self, room_id: &RoomId, user_id: &UserId) -> Result<Option<MembershipRecord>>;
    /// How many users are joined to a room now.
    fn joined_member_count(&self, room_id: &RoomId) -> Result<u64>;
    /// A room's current members (every membership state).
    fn room_memberships(&self, room_id: &RoomId) -> Result<Vec<MembershipRecord>>;
    /// Marks a left room as forgotten for the user.
    fn forget_room(&self, room_id: &RoomId, user_id: &UserId) -> Result<()>;
    /// Users who currently share a joined room with `user_id` (including themselves).
    fn users_sharing_rooms(&self, user_id: &UserId) -> Result<Vec<OwnedUserId>>;
    /// Users joined to rooms whose current join rule is `public`.
    fn users_in_public_rooms(&self) -> Result<Vec<OwnedUserId>>;

    /// Creates an alias; `Conflict` when taken.
    fn create_alias(&self, alias: &RoomAliasId, room_id: &RoomId, creator: &UserId) -> Result<()>;
    /// Resolves an alias to its room and creator.
    fn resolve_alias(&self, alias: &RoomAliasId) -> Result<Option<(OwnedRoomId, OwnedUserId)>>;
    /// Deletes an alias; false when absent.
    fn delete_alias(&self, alias: &RoomAliasId) -> Result<bool>;
    /// A room's local aliases.
    fn room_aliases(&self, room_id: &RoomId) -> Result<Vec<OwnedRoomAliasId>>;

    /// What operators see of every room (or only of `only`), read in one snapshot: the record,
    /// the contents of the current state events of the types in `kinds` with an empty state
    /// key, and counts, members of `local_server` counting as local.
    fn room_overviews(
        &self,
        only: Option<&RoomId>,
        kinds: &[&str],
        local_server: &ServerName,
    ) -> Result<Vec<RoomOverview>>;
    /// Deletes a room and everything stored about it (events, state groups, current state,
    /// memberships, extremities, aliases, receipts, room account data, the notice room mapping)
    /// in one transaction. False when the room is unknown. A block survives, and so do the
    /// room's media links: they record that the files were posted (and, their events gone,
    /// grant nothing).
    fn purge_room(&self, room_id: &RoomId) -> Result<bool>;
    /// Blocks a room id for good: joins, invites and knocks are refused. Blocking twice keeps
    /// the first record; the room need not exist.
    fn block_room(&self, room_id: &RoomId, blocked_by: &str, now: u64) -> Result<()>;
    /// Whether a room id is blocked.
    fn is_room_blocked(&self, room_id: &RoomId) -> Result<bool>;
    /// The user's server notices room, if one was created.
    fn notice_room(&self, user_id: &UserId) -> Result<Option<OwnedRoomId>>;
    /// Records the user's server notices room (replacing any previous one).
    fn set_notice_room(&self, user_id: &UserId, room_id: &RoomId) -> Result<()>;
}

/// What the admin API shows of a room without reading its timeline.
#[derive(Debug, Clone)]
pub struct RoomOverview {
    /// The room.
    pub record: RoomRecord,
    /// Content of each requested state event type (empty state key) the room has, by type.
    pub state: BTreeMap<String, serde_json::Value>,
    /// How many entries the current state has.
    pub state_events: u64,
    /// Members currently joined.
    pub joined_members: u64,
    /// Members of this server currently joined.
    pub joined_local_members: u64,
}
