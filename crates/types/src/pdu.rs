//! The persistent data unit: a signed room event as stored and exchanged between shards, and
//! its projection into the client-server event format.

use ruma::{
    CanonicalJsonObject, CanonicalJsonValue, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId,
    RoomId, UserId, events::TimelineEventType,
};
use serde_json::value::{RawValue as RawJsonValue, to_raw_value};

/// Why stored or received JSON is not a usable PDU.
#[derive(Debug, thiserror::Error)]
pub enum PduError {
    /// A required field is absent or has the wrong type.
    #[error("PDU field `{0}` is missing or malformed")]
    Field(&'static str),
}

/// A room event in federation (PDU) form, with its fields parsed for quick access.
///
/// `json` is the source of truth: the complete signed object exactly as hashed, without the
/// `event_id` field (room versions 3 and later derive the id from the reference hash).
#[derive(Debug, Clone)]
pub struct Pdu {
    /// Reference-hash event id.
    pub event_id: OwnedEventId,
    /// The room; for version 12 create events it is derived from the event id.
    pub room_id: OwnedRoomId,
    /// Who sent the event.
    pub sender: OwnedUserId,
    /// Sender's timestamp.
    pub origin_server_ts: MilliSecondsSinceUnixEpoch,
    /// Event type.
    pub kind: TimelineEventType,
    /// Event content, kept raw so it is never re-serialised differently.
    pub content: Box<RawJsonValue>,
    /// State key for state events.
    pub state_key: Option<String>,
    /// Events this one follows in the room DAG.
    pub prev_events: Vec<OwnedEventId>,
    /// Events that authorise this one.
    pub auth_events: Vec<OwnedEventId>,
    /// For redactions, the event being redacted (top level before v11, content from v11).
    pub redacts: Option<OwnedEventId>,
    /// Depth in the DAG.
    pub depth: u64,
    /// The full signed PDU.
    pub json: CanonicalJsonObject,
}

fn field_str<'a>(json: &'a CanonicalJsonObject, key: &'static str) -> Result<&'a str, PduError> {
    match json.get(key) {
        Some(CanonicalJsonValue::String(s)) => Ok(s),
        _ => Err(PduError::Field(key)),
    }
}

fn event_id_list(json: &CanonicalJsonObject, key: &'static str) -> Result<Vec<OwnedEventId>, PduError> {
    match json.get(key) {
        Some(CanonicalJsonValue::Array(items)) => items
            .iter()
            .map(|item| match item {
                CanonicalJsonValue::String(s) => OwnedEventId::try_from(s.as_str()).map_err(|_| PduError::Field(key)),
                _ => Err(PduError::Field(key)),
            })
            .collect(),
        _ => Err(PduError::Field(key)),
    }
}

impl Pdu {
    /// Parses a PDU whose id and room are already known.
    pub fn from_json(
        event_id: OwnedEventId,
        room_id: OwnedRoomId,
        json: CanonicalJsonObject,
    ) -> Result<Self, PduError> {
        let sender = OwnedUserId::try_from(field_str(&json, "sender")?).map_err(|_| PduError::Field("sender"))?;
        let kind = TimelineEventType::from(field_str(&json, "type")?);
        let origin_server_ts = match json.get("origin_server_ts") {
            Some(CanonicalJsonValue::Integer(ts)) => MilliSecondsSinceUnixEpoch(
                u64::try_from(i64::from(*ts))
                    .map_err(|_| PduError::Field("origin_server_ts"))?
                    .try_into()
                    .map_err(|_| PduError::Field("origin_server_ts"))?,
            ),
            _ => return Err(PduError::Field("origin_server_ts")),
        };
        let depth = match json.get("depth") {
            Some(CanonicalJsonValue::Integer(d)) => {
                u64::try_from(i64::from(*d)).map_err(|_| PduError::Field("depth"))?
            }
            _ => return Err(PduError::Field("depth")),
        };
        let content_value = json.get("content").ok_or(PduError::Field("content"))?;
        let content = to_raw_value(content_value).map_err(|_| PduError::Field("content"))?;
        let state_key = match json.get("state_key") {
            Some(CanonicalJsonValue::String(s)) => Some(s.clone()),
            None => None,
            _ => return Err(PduError::Field("state_key")),
        };
        let redacts = match (json.get("redacts"), content_value) {
            (Some(CanonicalJsonValue::String(s)), _) => OwnedEventId::try_from(s.as_str()).ok(),
            (_, CanonicalJsonValue::Object(c)) if kind == TimelineEventType::RoomRedaction => match c.get("redacts") {
                Some(CanonicalJsonValue::String(s)) => OwnedEventId::try_from(s.as_str()).ok(),
                _ => None,
            },
            _ => None,
        };
        Ok(Self {
            prev_events: event_id_list(&json, "prev_events")?,
            auth_events: event_id_list(&json, "auth_events")?,
            event_id,
            room_id,
            sender,
            origin_server_ts,
            kind,
            content,
            state_key,
            redacts,
            depth,
            json,
        })
    }

    /// Whether this is a state event.
    pub fn is_state(&self) -> bool {
        self.state_key.is_some()
    }

    /// Parses the content as JSON.
    pub fn content_value(&self) -> serde_json::Value {
        serde_json::from_str(self.content.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The event in client-server format ("ClientEvent"), with the given `unsigned` data.
    pub fn to_client_event(&self, unsigned: Option<serde_json::Value>) -> serde_json::Value {
        let mut event = serde_json::json!({
            "event_id": self.event_id,
            "room_id": self.room_id,
            "type": self.kind.to_string(),
            "sender": self.sender,
            "origin_server_ts": self.origin_server_ts,
            "content": self.content_value(),
        });
        let object = event.as_object_mut().expect("object literal");
        if let Some(state_key) = &self.state_key {
            object.insert("state_key".into(), state_key.clone().into());
        }
        if let Some(redacts) = &self.redacts {
            object.insert("redacts".into(), redacts.to_string().into());
        }
        if let Some(unsigned) = unsigned.filter(|u| u.as_object().is_some_and(|o| !o.is_empty())) {
            object.insert("unsigned".into(), unsigned);
        }
        event
    }

    /// The event without `room_id`, as sync places it inside a room section.
    pub fn to_sync_event(&self, unsigned: Option<serde_json::Value>) -> serde_json::Value {
        let mut event = self.to_client_event(unsigned);
        event.as_object_mut().expect("object").remove("room_id");
        event
    }

    /// The stripped form (type, state key, sender, content) used for invite and knock state.
    pub fn to_stripped_state(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.kind.to_string(),
            "state_key": self.state_key.clone().unwrap_or_default(),
            "sender": self.sender,
            "content": self.content_value(),
        })
    }
}

impl ruma::state_res::Event for Pdu {
    type Id = OwnedEventId;

    fn event_id(&self) -> &Self::Id {
        &self.event_id
    }

    fn room_id(&self) -> Option<&RoomId> {
        // Version 12 create events carry no room id: theirs is derived from their own hash.
        self.json.contains_key("room_id").then_some(&*self.room_id)
    }

    fn sender(&self) -> &UserId {
        &self.sender
    }

    fn origin_server_ts(&self) -> MilliSecondsSinceUnixEpoch {
        self.origin_server_ts
    }

    fn event_type(&self) -> &TimelineEventType {
        &self.kind
    }

    fn content(&self) -> &RawJsonValue {
        &self.content
    }

    fn state_key(&self) -> Option<&str> {
        self.state_key.as_deref()
    }

    fn prev_events(&self) -> Box<dyn DoubleEndedIterator<Item = &Self::Id> + '_> {
        Box::new(self.prev_events.iter())
    }

    fn auth_events(&self) -> Box<dyn DoubleEndedIterator<Item = &Self::Id> + '_> {
        Box::new(self.auth_events.iter())
    }

    fn redacts(&self) -> Option<&Self::Id> {
        self.redacts.as_ref()
    }

    fn rejected(&self) -> bool {
        false
    }
}
