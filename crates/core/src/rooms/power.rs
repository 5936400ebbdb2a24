//! Power levels as the room's version defines them (creators included), and the checks built
//! on them that the authorization rules leave to the server, such as who may redact what.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rempart_storage::StoredEvent;
use ruma::{
    EventId, OwnedRoomId, OwnedUserId, RoomId, UserId,
    events::{
        StateEventType, TimelineEventType,
        room::power_levels::{RoomPowerLevels, RoomPowerLevelsEventContent, RoomPowerLevelsSource},
    },
};
use serde_json::Value;

use super::Rooms;
use crate::{CoreError, Result};

/// Rooms whose power levels are remembered before the cache starts again.
const MAX_CACHED_ROOMS: usize = 10_000;

/// Power levels of recently used rooms, each with the state group it was read from: any state
/// change makes a new group, so an entry for an older one is never used. Every notification
/// count and every redaction check asks for them.
#[derive(Default)]
pub(crate) struct PowerLevelsCache {
    entries: Mutex<HashMap<OwnedRoomId, (i64, Arc<RoomPowerLevels>)>>,
}

impl PowerLevelsCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OwnedRoomId, (i64, Arc<RoomPowerLevels>)>> {
        // The map is valid whatever panicked while it was locked.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, room_id: &RoomId, group: i64) -> Option<Arc<RoomPowerLevels>> {
        self.lock().get(room_id).filter(|(at, _)| *at == group).map(|(_, levels)| Arc::clone(levels))
    }

    fn put(&self, room_id: &RoomId, group: i64, levels: Arc<RoomPowerLevels>) {
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED_ROOMS && !entries.contains_key(room_id) {
            entries.clear();
        }
        entries.insert(room_id.to_owned(), (group, levels));
    }
}

impl Rooms {
    /// The room's current power levels, with its creators as the room version defines them.
    pub fn power_levels(&self, room_id: &RoomId) -> Result<RoomPowerLevels> {
        // A cache hit costs one read: the room's row is only needed to compute the levels.
        let Some(group) = self.store.current_state_group(room_id)? else {
            self.room(room_id)?;
            return Err(CoreError::Internal(format!("room {room_id} has no state")));
        };
        if let Some(levels) = self.power_levels_cache.get(room_id, group) {
            return Ok((*levels).clone());
        }
        let rules = self.rules(&self.room(room_id)?)?;
        let state_event = |kind: StateEventType| -> Result<Option<StoredEvent>> {
            match self.store.state_group_lookup(group, &kind, "")? {
                Some(event_id) => Ok(self.store.get_event(&event_id)?),
                None => Ok(None),
            }
        };
        let create = state_event(StateEventType::RoomCreate)?
            .ok_or_else(|| CoreError::Internal(format!("room {room_id} has no create event")))?;
        let mut creators = vec![create.pdu.sender.clone()];
        if rules.authorization.additional_room_creators
            && let Some(extra) = create.pdu.content_value().get("additional_creators").and_then(Value::as_array)
        {
            creators.extend(extra.iter().filter_map(Value::as_str).filter_map(|u| OwnedUserId::try_from(u).ok()));
        }
        let source = match state_event(StateEventType::RoomPowerLevels)? {
            Some(event) => RoomPowerLevelsSource::Original(
                serde_json::from_str::<RoomPowerLevelsEventContent>(event.pdu.content.get())
                    .map_err(|e| CoreError::Internal(format!("stored power levels do not parse: {e}")))?,
            ),
            None => RoomPowerLevelsSource::None,
        };
        let levels = RoomPowerLevels::new(source, &rules.authorization, creators);
        self.power_levels_cache.put(room_id, group, Arc::new(levels.clone()));
        Ok(levels)
    }

    /// The authorization rules let anyone who may send a redaction send one; applying it to
    /// someone else's event needs the `redact` power level (spec: "Redactions"). Like Synapse,
    /// refuse such a redaction, and any redaction of the create event, before it is sent.
    /// Returns whether the target is the sender's own event; an unknown target is allowed (the
    /// redaction then redacts nothing).
    pub fn ensure_may_redact(&self, room_id: &RoomId, sender: &UserId, target: &EventId) -> Result<bool> {
        let Some(event) = self.store.get_event(target)? else { return Ok(false) };
        self.check_redaction(room_id, sender, &event)
    }

    pub(super) fn check_redaction(&self, room_id: &RoomId, sender: &UserId, target: &StoredEvent) -> Result<bool> {
        if target.pdu.room_id != room_id {
            return Err(CoreError::InvalidParam("cannot redact an event from another room".into()));
        }
        if target.pdu.kind == TimelineEventType::RoomCreate {
            return Err(CoreError::Forbidden("redacting the create event is not permitted".into()));
        }
        if target.pdu.sender == sender {
            return Ok(true);
        }
        if self.power_levels(room_id)?.user_can_redact_event_of_other(sender) {
            return Ok(false);
        }
        Err(CoreError::Forbidden("you don't have permission to redact other users' events".into()))
    }
}
