//! What operators see of rooms: the room list with Synapse's sorting and filtering, one room's
//! details, its members. Operators read these as operators: history visibility does not apply,
//! by design, and every read is reported to the audit hook instead. Shutting rooms down, with
//! purge and block, is in [`delete`].

mod delete;

use std::cmp::Ordering;

use rempart_storage::{Membership, RoomOverview};
use ruma::{OwnedRoomId, OwnedUserId, RoomId};
use serde_json::Value;

pub use delete::{DeleteRoomParams, Deletion, DeletionStatus, RoomDeletions, ShutdownReport};

use crate::{CoreError, Result, Services, account_admin::Actor, audit::AuditEvent};

/// The state event types an overview reads.
const OVERVIEW_KINDS: &[&str] = &[
    "m.room.create",
    "m.room.name",
    "m.room.topic",
    "m.room.avatar",
    "m.room.canonical_alias",
    "m.room.encryption",
    "m.room.join_rules",
    "m.room.guest_access",
    "m.room.history_visibility",
];

/// A room as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRoom {
    /// The room.
    pub room_id: OwnedRoomId,
    /// `m.room.name`.
    pub name: Option<String>,
    /// `m.room.topic`.
    pub topic: Option<String>,
    /// `m.room.avatar` URL.
    pub avatar: Option<String>,
    /// `m.room.canonical_alias` alias.
    pub canonical_alias: Option<String>,
    /// Members currently joined.
    pub joined_members: u64,
    /// Members of this shard currently joined.
    pub joined_local_members: u64,
    /// Room version.
    pub version: String,
    /// Who created it.
    pub creator: OwnedUserId,
    /// The encryption algorithm, when encrypted.
    pub encryption: Option<String>,
    /// Whether other servers may take part (`m.federate`).
    pub federatable: bool,
    /// Listed in the room directory.
    pub public: bool,
    /// Join rule.
    pub join_rules: Option<String>,
    /// Guest access.
    pub guest_access: Option<String>,
    /// History visibility.
    pub history_visibility: Option<String>,
    /// Entries in the current state.
    pub state_events: u64,
    /// The create event's `type` (`m.space`, ...).
    pub room_type: Option<String>,
}

impl AdminRoom {
    fn from_overview(overview: RoomOverview) -> Self {
        let field = |kind: &str, name: &str| {
            overview.state.get(kind).and_then(|content| content.get(name)).and_then(Value::as_str).map(str::to_owned)
        };
        let federatable = overview
            .state
            .get("m.room.create")
            .and_then(|content| content.get("m.federate"))
            .and_then(Value::as_bool)
            .unwrap_or(true);
        Self {
            name: field("m.room.name", "name"),
            topic: field("m.room.topic", "topic"),
            avatar: field("m.room.avatar", "url"),
            canonical_alias: field("m.room.canonical_alias", "alias"),
            encryption: field("m.room.encryption", "algorithm"),
            join_rules: field("m.room.join_rules", "join_rule"),
            guest_access: field("m.room.guest_access", "guest_access"),
            history_visibility: field("m.room.history_visibility", "history_visibility"),
            room_type: field("m.room.create", "type"),
            federatable,
            joined_members: overview.joined_members,
            joined_local_members: overview.joined_local_members,
            state_events: overview.state_events,
            public: overview.record.published,
            version: overview.record.version.to_string(),
            creator: overview.record.creator,
            room_id: overview.record.room_id,
        }
    }

    /// Synapse's search: the term in the name (any case), in the local part of the canonical
    /// alias (any case), or in the room id (exact case).
    fn matches(&self, term: &str) -> bool {
        let lower = term.to_lowercase();
        let alias_local = self.canonical_alias.as_deref().map(|a| a.trim_start_matches('#').split(':').next());
        self.name.as_deref().is_some_and(|name| name.to_lowercase().contains(&lower))
            || alias_local.flatten().is_some_and(|local| local.to_lowercase().contains(&lower))
            || self.room_id.as_str().contains(term)
    }
}

/// A room's details: its [`AdminRoom`] and what only the details endpoint reports.
#[derive(Debug, Clone)]
pub struct AdminRoomDetails {
    /// The room.
    pub room: AdminRoom,
    /// Devices of the local members currently joined.
    pub joined_local_devices: u64,
    /// Whether no local user is in the room or remembers it (every local member forgot it).
    pub forgotten: bool,
}

/// Sort orders of the room list (Synapse's `order_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoomOrder {
    /// By name, A to Z (the default); rooms without a name last.
    #[default]
    Name,
    /// By canonical alias, A to Z.
    CanonicalAlias,
    /// Most joined members first.
    JoinedMembers,
    /// Most joined local members first.
    JoinedLocalMembers,
    /// Newest room version first.
    Version,
    /// By creator.
    Creator,
    /// By encryption algorithm.
    Encryption,
    /// Non-federating rooms first.
    Federatable,
    /// Unlisted rooms first.
    Public,
    /// By join rule.
    JoinRules,
    /// By guest access.
    GuestAccess,
    /// By history visibility.
    HistoryVisibility,
    /// Most state entries first.
    StateEvents,
}

impl RoomOrder {
    /// Parses Synapse's names, including the deprecated `alphabetical` and `size`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "name" | "alphabetical" => Self::Name,
            "canonical_alias" => Self::CanonicalAlias,
            "joined_members" | "size" => Self::JoinedMembers,
            "joined_local_members" => Self::JoinedLocalMembers,
            "version" => Self::Version,
            "creator" => Self::Creator,
            "encryption" => Self::Encryption,
            "federatable" => Self::Federatable,
            "public" => Self::Public,
            "join_rules" => Self::JoinRules,
            "guest_access" => Self::GuestAccess,
            "history_visibility" => Self::HistoryVisibility,
            "state_events" => Self::StateEvents,
            _ => return None,
        })
    }

    fn compare(self, a: &AdminRoom, b: &AdminRoom) -> Ordering {
        // Absent values sort after present ones, whatever the field.
        fn text(a: Option<&String>, b: Option<&String>) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) => a.to_lowercase().cmp(&b.to_lowercase()).then_with(|| a.cmp(b)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        fn version(v: &str) -> (Option<u64>, &str) {
            (v.parse().ok(), v)
        }
        match self {
            Self::Name => text(a.name.as_ref(), b.name.as_ref()),
            Self::CanonicalAlias => text(a.canonical_alias.as_ref(), b.canonical_alias.as_ref()),
            Self::JoinedMembers => b.joined_members.cmp(&a.joined_members),
            Self::JoinedLocalMembers => b.joined_local_members.cmp(&a.joined_local_members),
            Self::Version => version(&b.version).cmp(&version(&a.version)),
            Self::Creator => a.creator.cmp(&b.creator),
            Self::Encryption => text(a.encryption.as_ref(), b.encryption.as_ref()),
            Self::Federatable => a.federatable.cmp(&b.federatable),
            Self::Public => a.public.cmp(&b.public),
            Self::JoinRules => text(a.join_rules.as_ref(), b.join_rules.as_ref()),
            Self::GuestAccess => text(a.guest_access.as_ref(), b.guest_access.as_ref()),
            Self::HistoryVisibility => text(a.history_visibility.as_ref(), b.history_visibility.as_ref()),
            Self::StateEvents => b.state_events.cmp(&a.state_events),
        }
    }
}

/// What the room list asks for.
#[derive(Debug, Clone, Default)]
pub struct RoomListQuery {
    /// Rooms to skip.
    pub from: u64,
    /// Most rooms to return.
    pub limit: u64,
    /// Sort order.
    pub order: RoomOrder,
    /// Reverse the order (`dir=b`).
    pub backwards: bool,
    /// Only rooms matching this term (see [`AdminRoom`]'s search rule).
    pub search_term: Option<String>,
    /// Only rooms listed in the directory (`true`) or only unlisted ones (`false`).
    pub public_rooms: Option<bool>,
    /// Only rooms nobody is joined to (`true`) or only rooms someone is joined to (`false`).
    pub empty_rooms: Option<bool>,
}

/// A page of the room list.
#[derive(Debug, Clone)]
pub struct RoomListPage {
    /// The rooms of the page.
    pub rooms: Vec<AdminRoom>,
    /// How many rooms match the query in all.
    pub total: u64,
}

impl Services {
    fn record_room_read(&self, actor: Actor<'_>, action: &str, target: &str) {
        self.audit.record(&AuditEvent::AdminAction { actor, action, target });
    }

    fn admin_overviews(&self, only: Option<&RoomId>) -> Result<Vec<AdminRoom>> {
        let overviews = self.store.room_overviews(only, OVERVIEW_KINDS, &self.config.server_name)?;
        Ok(overviews.into_iter().map(AdminRoom::from_overview).collect())
    }

    /// A page of the rooms of this shard, sorted and filtered as Synapse's room list is.
    pub fn admin_list_rooms(&self, actor: Actor<'_>, query: &RoomListQuery) -> Result<RoomListPage> {
        let mut rooms = self.admin_overviews(None)?;
        rooms.retain(|room| {
            query.search_term.as_deref().is_none_or(|term| room.matches(term))
                && query.public_rooms.is_none_or(|public| room.public == public)
                && query.empty_rooms.is_none_or(|empty| (room.joined_members == 0) == empty)
        });
        // The room id breaks ties, so that pages do not overlap or skip rooms.
        rooms.sort_by(|a, b| query.order.compare(a, b).then_with(|| a.room_id.cmp(&b.room_id)));
        if query.backwards {
            rooms.reverse();
        }
        let total = rooms.len() as u64;
        let from = usize::try_from(query.from).unwrap_or(usize::MAX);
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let rooms = rooms.into_iter().skip(from).take(limit).collect();
        self.record_room_read(actor, "room.list", query.search_term.as_deref().unwrap_or("*"));
        Ok(RoomListPage { rooms, total })
    }

    /// One room's details.
    pub fn admin_room(&self, actor: Actor<'_>, room_id: &RoomId) -> Result<AdminRoomDetails> {
        let room = self
            .admin_overviews(Some(room_id))?
            .pop()
            .ok_or_else(|| CoreError::NotFound(format!("room {room_id} not found")))?;
        let mut joined_local_devices = 0;
        let mut forgotten = true;
        for member in self.store.room_memberships(room_id)? {
            if member.user_id.server_name() != self.config.server_name {
                continue;
            }
            if member.membership == Membership::Join {
                joined_local_devices += self.store.list_devices(&member.user_id)?.len() as u64;
            }
            forgotten &= member.forgotten;
        }
        self.record_room_read(actor, "room.read", room_id.as_str());
        Ok(AdminRoomDetails { room, joined_local_devices, forgotten })
    }

    /// The users currently joined to a room.
    pub fn admin_room_members(&self, actor: Actor<'_>, room_id: &RoomId) -> Result<Vec<OwnedUserId>> {
        if self.store.get_room(room_id)?.is_none() {
            return Err(CoreError::NotFound(format!("room {room_id} not found")));
        }
        let members = self
            .store
            .room_memberships(room_id)?
            .into_iter()
            .filter(|m| m.membership == Membership::Join)
            .map(|m| m.user_id)
            .collect();
        self.record_room_read(actor, "room.read_members", room_id.as_str());
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: &str, name: Option<&str>, joined: u64) -> AdminRoom {
        AdminRoom {
            room_id: OwnedRoomId::try_from(id).expect("room id"),
            name: name.map(str::to_owned),
            topic: None,
            avatar: None,
            canonical_alias: Some(format!("#{}:elsewhere", name.unwrap_or("x").to_lowercase())),
            joined_members: joined,
            joined_local_members: joined,
            version: "11".into(),
            creator: OwnedUserId::try_from("@a:test").expect("user id"),
            encryption: None,
            federatable: true,
            public: false,
            join_rules: None,
            guest_access: None,
            history_visibility: None,
            state_events: 0,
            room_type: None,
        }
    }

    #[test]
    fn orders_and_search() {
        let (a, b, none) =
            (room("!a:test", Some("beta"), 1), room("!b:test", Some("Alpha"), 5), room("!c:test", None, 3));
        assert_eq!(RoomOrder::Name.compare(&a, &b), Ordering::Greater, "case does not matter");
        assert_eq!(RoomOrder::Name.compare(&none, &a), Ordering::Greater, "unnamed rooms last");
        assert_eq!(RoomOrder::JoinedMembers.compare(&b, &a), Ordering::Less, "largest first");
        assert_eq!(RoomOrder::parse("size"), Some(RoomOrder::JoinedMembers));
        assert_eq!(RoomOrder::parse("nonsense"), None);
        assert!(b.matches("alp"), "name, any case");
        assert!(b.matches("ALPHA"), "alias local part, any case");
        assert!(a.matches("!a:te"), "room id");
        assert!(!a.matches("!A:TE"), "room ids are matched exactly");
        assert!(!a.matches("elsewhere"), "not the alias' server name");
    }
}
