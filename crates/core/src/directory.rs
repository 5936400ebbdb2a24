//! The room directory: which published rooms are listed and how they are described, who may
//! publish a room or manage its local aliases, and the room power checks those decisions share
//! (also used to decide who may redact someone else's event). Aliases are in `aliases`.

mod aliases;

use rempart_storage::Membership;
use ruma::{OwnedRoomAliasId, OwnedRoomId, RoomId, events::StateEventType};
use serde_json::Value;

use crate::{CoreError, Result, Services, accounts::Identity};

/// One room as the public directory describes it.
#[derive(Debug, Clone)]
pub struct PublicRoom {
    /// Room id.
    pub room_id: OwnedRoomId,
    /// `m.room.name`.
    pub name: Option<String>,
    /// `m.room.topic`.
    pub topic: Option<String>,
    /// `m.room.canonical_alias`.
    pub canonical_alias: Option<OwnedRoomAliasId>,
    /// `m.room.avatar` URL.
    pub avatar_url: Option<String>,
    /// Members currently joined.
    pub num_joined_members: u64,
    /// History visibility is `world_readable`.
    pub world_readable: bool,
    /// Guest access is `can_join`.
    pub guest_can_join: bool,
    /// The join rule.
    pub join_rule: String,
    /// The create event's `type`.
    pub room_type: Option<String>,
}

/// A directory query.
#[derive(Debug, Clone, Default)]
pub struct PublicRoomsQuery {
    /// Page size; a server default when absent.
    pub limit: Option<usize>,
    /// A `next_batch` or `prev_batch` token.
    pub since: Option<String>,
    /// Case-insensitive substring of the name, topic or canonical alias.
    pub search_term: Option<String>,
    /// Room types to keep (`None` in the list is "no type"); all when absent.
    pub room_types: Option<Vec<Option<String>>>,
}

/// One page of the directory.
#[derive(Debug, Clone)]
pub struct PublicRoomsPage {
    /// Rooms, most joined members first.
    pub chunk: Vec<PublicRoom>,
    /// Token for the next page.
    pub next_batch: Option<String>,
    /// Token for the previous page.
    pub prev_batch: Option<String>,
    /// Rooms matching the query.
    pub total: usize,
}

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 500;

fn parse_batch(token: &str) -> Result<usize> {
    token
        .strip_prefix('o')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| CoreError::InvalidParam("invalid since token".into()))
}

fn string_field(content: Option<&Value>, field: &str) -> Option<String> {
    content?.get(field)?.as_str().filter(|s| !s.is_empty()).map(ToOwned::to_owned)
}

impl Services {
    fn state_content(&self, room_id: &RoomId, kind: StateEventType) -> Result<Option<Value>> {
        Ok(self.store.current_state_event(room_id, &kind, "")?.map(|event| event.pdu.content_value()))
    }

    fn describe_room(&self, room_id: &RoomId) -> Result<PublicRoom> {
        let content = |kind| self.state_content(room_id, kind);
        let (name, topic) = (content(StateEventType::RoomName)?, content(StateEventType::RoomTopic)?);
        let alias = content(StateEventType::RoomCanonicalAlias)?;
        let avatar = content(StateEventType::RoomAvatar)?;
        let join_rules = content(StateEventType::RoomJoinRules)?;
        let history = content(StateEventType::RoomHistoryVisibility)?;
        let guests = content(StateEventType::RoomGuestAccess)?;
        let create = content(StateEventType::RoomCreate)?;
        let joined = self.store.room_memberships(room_id)?.iter().filter(|m| m.membership == Membership::Join).count();
        Ok(PublicRoom {
            room_id: room_id.to_owned(),
            name: string_field(name.as_ref(), "name"),
            topic: string_field(topic.as_ref(), "topic"),
            canonical_alias: string_field(alias.as_ref(), "alias").and_then(|a| OwnedRoomAliasId::try_from(a).ok()),
            avatar_url: string_field(avatar.as_ref(), "url"),
            num_joined_members: joined as u64,
            world_readable: string_field(history.as_ref(), "history_visibility").as_deref() == Some("world_readable"),
            guest_can_join: string_field(guests.as_ref(), "guest_access").as_deref() == Some("can_join"),
            join_rule: string_field(join_rules.as_ref(), "join_rule").unwrap_or_else(|| "invite".into()),
            room_type: string_field(create.as_ref(), "type"),
        })
    }

    /// Published rooms that anyone on the platform could join, knock on or read, filtered and
    /// paginated. Like Synapse, a published invite-only room is not listed, nor an empty one.
    pub fn public_rooms(&self, query: &PublicRoomsQuery) -> Result<PublicRoomsPage> {
        let offset = query.since.as_deref().map(parse_batch).transpose()?.unwrap_or(0);
        let term = query.search_term.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        let mut rooms = vec![];
        for record in self.store.list_rooms()?.into_iter().filter(|r| r.published) {
            let room = self.describe_room(&record.room_id)?;
            let open =
                matches!(room.join_rule.as_str(), "public" | "knock" | "knock_restricted") || room.world_readable;
            let found = term.as_ref().is_none_or(|term| {
                [room.name.as_deref(), room.topic.as_deref(), room.canonical_alias.as_ref().map(|a| a.as_str())]
                    .into_iter()
                    .flatten()
                    .any(|text| text.to_lowercase().contains(term.as_str()))
            });
            let typed = query.room_types.as_ref().is_none_or(|types| types.contains(&room.room_type));
            if open && found && typed && room.num_joined_members > 0 {
                rooms.push(room);
            }
        }
        rooms.sort_by(|a, b| b.num_joined_members.cmp(&a.num_joined_members).then_with(|| a.room_id.cmp(&b.room_id)));
        let total = rooms.len();
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
        let start = offset.min(total);
        let end = start.saturating_add(limit).min(total);
        Ok(PublicRoomsPage {
            next_batch: (end < total && end > start).then(|| format!("o{end}")),
            prev_batch: (start > 0).then(|| format!("o{}", start.saturating_sub(limit))),
            chunk: rooms.into_iter().skip(start).take(end - start).collect(),
            total,
        })
    }

    /// Whether a room is published in the directory.
    pub fn room_published(&self, room_id: &RoomId) -> Result<bool> {
        Ok(self.rooms.room(room_id)?.published)
    }

    /// Lists or unlists a room. With `rooms.publish_requires_state_power`, joined members with
    /// power to send `m.room.canonical_alias` may do it; otherwise only server admins.
    pub fn set_room_published(&self, actor: &Identity, room_id: &RoomId, published: bool) -> Result<()> {
        self.rooms.room(room_id)?;
        let allowed = if self.config.rooms.publish_requires_state_power {
            self.may_manage_room(actor, room_id)?
        } else {
            actor.is_admin
        };
        if !allowed {
            return Err(CoreError::Forbidden("you may not change this room's directory listing".into()));
        }
        Ok(self.store.set_room_published(room_id, published)?)
    }

    /// Refuses to publish a room being created when only server admins may publish.
    pub fn ensure_may_publish_new_room(&self, actor: &Identity) -> Result<()> {
        if self.config.rooms.publish_requires_state_power || actor.is_admin {
            Ok(())
        } else {
            Err(CoreError::Forbidden("only server administrators may publish rooms in the directory".into()))
        }
    }

    /// Server admins, and joined members with power to send `m.room.canonical_alias`.
    fn may_manage_room(&self, actor: &Identity, room_id: &RoomId) -> Result<bool> {
        if actor.is_admin {
            return Ok(true);
        }
        if self.store.membership(room_id, &actor.user_id)?.map(|m| m.membership) != Some(Membership::Join) {
            return Ok(false);
        }
        Ok(self.rooms.power_levels(room_id)?.user_can_send_state(&actor.user_id, StateEventType::RoomCanonicalAlias))
    }
}
