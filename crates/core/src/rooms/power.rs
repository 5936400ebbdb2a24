//! Power levels as the room's version defines them (creators included), and the checks built
//! on them that the authorization rules leave to the server, such as who may redact what.

use rempart_storage::StoredEvent;
use ruma::{
    EventId, OwnedUserId, RoomId, UserId,
    events::{
        StateEventType, TimelineEventType,
        room::power_levels::{RoomPowerLevels, RoomPowerLevelsEventContent, RoomPowerLevelsSource},
    },
};
use serde_json::Value;

use super::Rooms;
use crate::{CoreError, Result};

impl Rooms {
    /// The room's current power levels, with its creators as the room version defines them.
    pub fn power_levels(&self, room_id: &RoomId) -> Result<RoomPowerLevels> {
        let rules = self.rules(&self.room(room_id)?)?;
        let create = self
            .store
            .current_state_event(room_id, &StateEventType::RoomCreate, "")?
            .ok_or_else(|| CoreError::Internal(format!("room {room_id} has no create event")))?;
        let mut creators = vec![create.pdu.sender.clone()];
        if rules.authorization.additional_room_creators
            && let Some(extra) = create.pdu.content_value().get("additional_creators").and_then(Value::as_array)
        {
            creators.extend(extra.iter().filter_map(Value::as_str).filter_map(|u| OwnedUserId::try_from(u).ok()));
        }
        let source = match self.store.current_state_event(room_id, &StateEventType::RoomPowerLevels, "")? {
            Some(event) => RoomPowerLevelsSource::Original(
                serde_json::from_str::<RoomPowerLevelsEventContent>(event.pdu.content.get())
                    .map_err(|e| CoreError::Internal(format!("stored power levels do not parse: {e}")))?,
            ),
            None => RoomPowerLevelsSource::None,
        };
        Ok(RoomPowerLevels::new(source, &rules.authorization, creators))
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
