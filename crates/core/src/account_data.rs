//! Account data, global and per room, and room tags (kept as the room account data `m.tag`,
//! `{ "tags": { "<tag>": { "order": 0.5 } } }`). Every change wakes long-polling syncs, which
//! deliver account data by stream position.

use ruma::{RoomId, UserId};
use serde_json::{Map, Value, json};

use crate::{CoreError, Result, Services};

/// Account data types the server manages: clients read them as usual but may not set them
/// through the account data API (spec "Client Config", server behaviour; `m.push_rules` since
/// v1.10). `m.fully_read` is set through read markers, `m.push_rules` through the push rules API.
const SERVER_MANAGED_TYPES: &[&str] = &["m.fully_read", "m.push_rules"];

/// Room account data type holding a room's tags.
const TAG_TYPE: &str = "m.tag";

/// Longest tag name accepted (spec: tags are at most 255 bytes).
const MAX_TAG_BYTES: usize = 255;

/// Longest account data type accepted, as for event types.
const MAX_TYPE_BYTES: usize = 255;

/// Whether clients are refused setting this account data type (the spec asks for a 405).
pub fn is_server_managed(kind: &str) -> bool {
    SERVER_MANAGED_TYPES.contains(&kind)
}

impl Services {
    /// One account data entry of the user, `M_NOT_FOUND` when unset (or deleted).
    pub fn account_data(&self, user_id: &UserId, room_id: Option<&RoomId>, kind: &str) -> Result<Value> {
        self.store
            .get_account_data(user_id, room_id, kind)?
            .ok_or_else(|| CoreError::NotFound("account data not found".into()))
    }

    /// Sets account data on behalf of the client. The content must be a JSON object; types the
    /// server manages are refused (callers answer 405 before getting here, this is the backstop).
    pub fn set_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
        content: Value,
    ) -> Result<()> {
        if is_server_managed(kind) {
            return Err(CoreError::BadJson(format!("{kind} is managed by the server and cannot be set by clients")));
        }
        if kind.is_empty() || kind.len() > MAX_TYPE_BYTES {
            return Err(CoreError::InvalidParam("account data type must be 1 to 255 bytes".into()));
        }
        if !content.is_object() {
            return Err(CoreError::BadJson("account data content must be a JSON object".into()));
        }
        self.write_account_data(user_id, room_id, kind, &content)
    }

    /// Stores account data without the client-facing checks (server-managed types included)
    /// and wakes syncs.
    pub(crate) fn write_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
        content: &Value,
    ) -> Result<()> {
        self.store.put_account_data(user_id, room_id, kind, content)?;
        self.notifier.notify();
        Ok(())
    }

    /// The user's tags on a room (`{ "<tag>": { "order": ... } }`), empty when none.
    pub fn room_tags(&self, user_id: &UserId, room_id: &RoomId) -> Result<Map<String, Value>> {
        let content = self.store.get_account_data(user_id, Some(room_id), TAG_TYPE)?;
        Ok(content
            .and_then(|mut c| c.get_mut("tags").map(Value::take))
            .and_then(|t| t.as_object().cloned())
            .unwrap_or_default())
    }

    /// Adds or replaces a tag. `info` is the tag's JSON object (`order` and any other fields).
    pub fn set_room_tag(&self, user_id: &UserId, room_id: &RoomId, tag: &str, info: Value) -> Result<()> {
        if tag.is_empty() || tag.len() > MAX_TAG_BYTES {
            return Err(CoreError::InvalidParam("tag names must be 1 to 255 bytes".into()));
        }
        if !info.is_object() {
            return Err(CoreError::BadJson("tag content must be a JSON object".into()));
        }
        if info.get("order").is_some_and(|order| !order.is_number()) {
            return Err(CoreError::BadJson("tag order must be a number".into()));
        }
        self.update_account_data_document(|| {
            let mut tags = self.room_tags(user_id, room_id)?;
            tags.insert(tag.to_owned(), info);
            self.write_account_data(user_id, Some(room_id), TAG_TYPE, &json!({ "tags": tags }))
        })
    }

    /// Removes a tag; removing an absent tag succeeds, as in Synapse.
    pub fn delete_room_tag(&self, user_id: &UserId, room_id: &RoomId, tag: &str) -> Result<()> {
        self.update_account_data_document(|| {
            let mut tags = self.room_tags(user_id, room_id)?;
            if tags.remove(tag).is_none() {
                return Ok(());
            }
            self.write_account_data(user_id, Some(room_id), TAG_TYPE, &json!({ "tags": tags }))
        })
    }
}
