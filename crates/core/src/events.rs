//! Serialising stored events for clients: the client event format plus `unsigned` data that
//! depends on who is looking (transaction ids echo only to the sending device).

use rempart_storage::{Storage, StoredEvent};
use rempart_types::time::now_millis;
use ruma::{DeviceId, UserId};
use serde_json::{Map, Value};

/// Who an event is serialised for.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// The reading user.
    pub user_id: &'a UserId,
    /// The reading device, for transaction id echo.
    pub device_id: Option<&'a DeviceId>,
}

/// Client-format event with `unsigned` (`age`, `transaction_id`, `redacted_because`,
/// `prev_content` for state). `with_room_id` is false inside sync's room sections.
pub fn client_event(store: &dyn Storage, event: &StoredEvent, viewer: Viewer<'_>, with_room_id: bool) -> Value {
    let mut unsigned = Map::new();
    let age = now_millis().saturating_sub(u64::from(event.pdu.origin_server_ts.get()));
    unsigned.insert("age".into(), age.into());
    if let Some((device_id, txn_id)) = &event.txn
        && event.pdu.sender == viewer.user_id
        && viewer.device_id == Some(device_id.as_ref())
    {
        unsigned.insert("transaction_id".into(), txn_id.clone().into());
    }
    if let Some(redacted_by) = &event.redacted_by
        && let Ok(Some(redaction)) = store.get_event(redacted_by)
    {
        unsigned.insert("redacted_because".into(), redaction.pdu.to_client_event(None));
    }
    if let (Some(state_key), Some(before)) = (&event.pdu.state_key, event.state_group_before) {
        let kind = ruma::events::StateEventType::from(event.pdu.kind.to_string());
        if let Ok(Some(prev_id)) = store.state_group_lookup(before, &kind, state_key)
            && let Ok(Some(prev)) = store.get_event(&prev_id)
        {
            unsigned.insert("prev_content".into(), prev.pdu.content_value());
            unsigned.insert("replaces_state".into(), prev_id.to_string().into());
        }
    }
    let unsigned = Some(Value::Object(unsigned));
    if with_room_id { event.pdu.to_client_event(unsigned) } else { event.pdu.to_sync_event(unsigned) }
}
