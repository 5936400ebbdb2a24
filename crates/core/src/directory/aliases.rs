//! Local room aliases: resolving, creating and deleting them with their permission rules,
//! listing a room's aliases, and checking the aliases a new `m.room.canonical_alias` adds.

use std::collections::HashSet;

use rempart_storage::{Membership, StorageError};
use ruma::{
    OwnedRoomAliasId, OwnedRoomId, RoomAliasId, RoomId, UserId,
    events::{StateEventType, TimelineEventType},
};
use serde_json::Value;

use super::string_field;
use crate::{CoreError, Result, Services, accounts::Identity};

impl Services {
    fn ensure_local_alias(&self, alias: &RoomAliasId) -> Result<()> {
        if alias.server_name() == self.config.server_name {
            Ok(())
        } else {
            Err(CoreError::InvalidParam(format!("room alias must be on this server ({})", self.config.server_name)))
        }
    }

    /// Resolves an alias this shard hosts. Aliases of other shards are not found until
    /// federation exists.
    pub fn resolve_local_alias(&self, alias: &RoomAliasId) -> Result<OwnedRoomId> {
        let not_found = || CoreError::NotFound(format!("room alias {alias} not found"));
        if alias.server_name() != self.config.server_name {
            return Err(not_found());
        }
        self.store.resolve_alias(alias)?.map(|(room_id, _)| room_id).ok_or_else(not_found)
    }

    /// Creates a local alias; the creator must be joined to the room (or a server admin).
    /// `RoomInUse` when the alias is taken.
    pub fn create_alias(&self, actor: &Identity, alias: &RoomAliasId, room_id: &RoomId) -> Result<()> {
        self.ensure_local_alias(alias)?;
        self.rooms.room(room_id)?;
        let joined = self.store.membership(room_id, &actor.user_id)?.map(|m| m.membership) == Some(Membership::Join);
        if !joined && !actor.is_admin {
            return Err(CoreError::Forbidden("you must be joined to the room to give it an alias".into()));
        }
        match self.store.create_alias(alias, room_id, &actor.user_id) {
            Err(StorageError::Conflict(_)) => Err(CoreError::RoomInUse),
            other => Ok(other?),
        }
    }

    /// Deletes a local alias: allowed to its creator, server admins, and joined members with
    /// power to send `m.room.canonical_alias`. Like Synapse, also drops it from the room's
    /// canonical alias event when the deleter may change that event.
    pub async fn delete_alias(&self, actor: &Identity, alias: &RoomAliasId) -> Result<()> {
        self.ensure_local_alias(alias)?;
        let (room_id, creator) = self
            .store
            .resolve_alias(alias)?
            .ok_or_else(|| CoreError::NotFound(format!("room alias {alias} not found")))?;
        if creator != actor.user_id && !self.may_manage_room(actor, &room_id)? {
            return Err(CoreError::Forbidden("you may not delete this alias".into()));
        }
        self.store.delete_alias(alias)?;
        let Some(mut content) = self.state_content(&room_id, StateEventType::RoomCanonicalAlias)? else {
            return Ok(());
        };
        let mut changed = false;
        if content.get("alias").and_then(Value::as_str) == Some(alias.as_str())
            && let Some(object) = content.as_object_mut()
        {
            object.remove("alias");
            changed = true;
        }
        if let Some(alt) = content.get_mut("alt_aliases").and_then(Value::as_array_mut) {
            let before = alt.len();
            alt.retain(|a| a.as_str() != Some(alias.as_str()));
            changed |= alt.len() != before;
        }
        if changed {
            let template = rempart_state::EventTemplate {
                kind: TimelineEventType::RoomCanonicalAlias,
                content,
                state_key: Some(String::new()),
                redacts: None,
            };
            if let Err(error) = self.rooms.send_event(&room_id, &actor.user_id, template, None).await {
                tracing::info!(%room_id, %error, "alias deleted but the canonical alias event was left unchanged");
            }
        }
        Ok(())
    }

    /// A room's local aliases, for its joined members (or anyone when it is world readable).
    pub fn room_aliases_for_user(&self, user_id: &UserId, room_id: &RoomId) -> Result<Vec<OwnedRoomAliasId>> {
        self.rooms.room(room_id)?;
        let joined = self.store.membership(room_id, user_id)?.map(|m| m.membership) == Some(Membership::Join);
        let history = self.state_content(room_id, StateEventType::RoomHistoryVisibility)?;
        if !joined && string_field(history.as_ref(), "history_visibility").as_deref() != Some("world_readable") {
            return Err(CoreError::Forbidden("you are not a member of this room".into()));
        }
        Ok(self.store.room_aliases(room_id)?)
    }

    /// For a new `m.room.canonical_alias` content, what is wrong with the aliases it adds
    /// (spec: they must be valid and point to this room), or `None` when they are fine.
    /// Aliases already in the current event are not checked again.
    pub fn canonical_alias_problem(&self, room_id: &RoomId, content: &Value) -> Result<Option<String>> {
        let current = self.state_content(room_id, StateEventType::RoomCanonicalAlias)?.unwrap_or_default();
        let mut existing: HashSet<String> = HashSet::new();
        existing.extend(current.get("alias").and_then(Value::as_str).map(ToOwned::to_owned));
        if let Some(alt) = current.get("alt_aliases").and_then(Value::as_array) {
            existing.extend(alt.iter().filter_map(Value::as_str).map(ToOwned::to_owned));
        }
        let mut added: Vec<&Value> = content.get("alias").filter(|a| !a.is_null()).into_iter().collect();
        match content.get("alt_aliases") {
            None => {}
            Some(Value::Array(alt)) => added.extend(alt),
            Some(_) => return Ok(Some("alt_aliases must be a list of aliases".into())),
        }
        for value in added {
            let Some(text) = value.as_str() else { return Ok(Some("aliases must be strings".into())) };
            if existing.contains(text) {
                continue;
            }
            let Ok(alias) = <&RoomAliasId>::try_from(text) else {
                return Ok(Some(format!("{text} is not a valid alias")));
            };
            match self.resolve_local_alias(alias) {
                Ok(target) if target == room_id => {}
                Ok(_) => return Ok(Some(format!("{alias} points to another room"))),
                Err(CoreError::NotFound(_)) => return Ok(Some(format!("{alias} does not exist"))),
                Err(other) => return Err(other),
            }
        }
        Ok(None)
    }
}
