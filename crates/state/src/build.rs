//! Building a new local event: choose its auth events, hash, sign, derive its id, then check it
//! against the authorization rules exactly as a receiving server would.

use std::{collections::HashMap, sync::Arc};

use rempart_types::pdu::Pdu;
use ruma::{
    CanonicalJsonObject, CanonicalJsonValue, OwnedEventId, OwnedRoomId, RoomId, ServerName, UserId,
    events::{StateEventType, TimelineEventType},
    room_version_rules::RoomVersionRules,
    signatures::{Ed25519KeyPair, hash_and_sign_event, reference_hash},
    state_res,
};
use serde_json::value::to_raw_value;

use crate::StateError;

/// Room state keyed by `(event type, state key)`.
pub type StateMap = HashMap<(StateEventType, String), Arc<Pdu>>;

/// What a sender asks for; the server fills in everything else.
#[derive(Debug, Clone)]
pub struct EventTemplate {
    /// Event type.
    pub kind: TimelineEventType,
    /// Content object.
    pub content: serde_json::Value,
    /// State key for state events.
    pub state_key: Option<String>,
    /// Redacted event, for redactions.
    pub redacts: Option<OwnedEventId>,
}

/// Where a new event goes in its room.
pub struct BuildContext<'a> {
    /// Rules of the room's version.
    pub rules: &'a RoomVersionRules,
    /// The room; `None` only for a version 12 create event, whose id is derived from it.
    pub room_id: Option<&'a RoomId>,
    /// Current forward extremities with their depths.
    pub prev_events: &'a [(OwnedEventId, u64)],
    /// Room state before the event.
    pub state: &'a StateMap,
    /// This shard's name.
    pub origin: &'a ServerName,
    /// This shard's signing key.
    pub key: &'a Ed25519KeyPair,
    /// Timestamp to stamp on the event.
    pub now_millis: u64,
}

const MAX_PDU_BYTES: usize = 65_536;

/// Builds, hashes, signs and authorises a new event.
pub fn build_event(template: EventTemplate, sender: &UserId, ctx: &BuildContext<'_>) -> Result<Pdu, StateError> {
    let content_raw = to_raw_value(&template.content).map_err(|e| StateError::Invalid(e.to_string()))?;
    let auth_types = state_res::auth_types_for_event(
        &template.kind,
        sender,
        template.state_key.as_deref(),
        &content_raw,
        &ctx.rules.authorization,
    )
    .map_err(StateError::Invalid)?;
    let mut auth_events: Vec<OwnedEventId> =
        auth_types.iter().filter_map(|key| ctx.state.get(key)).map(|pdu| pdu.event_id.clone()).collect();
    auth_events.sort();
    auth_events.dedup();

    let depth = ctx.prev_events.iter().map(|(_, d)| *d).max().map_or(1, |d| d + 1);
    let content: CanonicalJsonValue = template
        .content
        .clone()
        .try_into()
        .map_err(|e: ruma::CanonicalJsonError| StateError::Invalid(e.to_string()))?;
    if !matches!(content, CanonicalJsonValue::Object(_)) {
        return Err(StateError::Invalid("content must be a JSON object".into()));
    }

    let ids = |ids: Vec<OwnedEventId>| {
        CanonicalJsonValue::Array(ids.into_iter().map(|id| CanonicalJsonValue::String(id.to_string())).collect())
    };
    let mut object = CanonicalJsonObject::new();
    object.insert("auth_events".into(), ids(auth_events));
    object.insert("content".into(), content);
    object.insert(
        "depth".into(),
        CanonicalJsonValue::Integer((depth as i64).try_into().map_err(|_| StateError::Invalid("depth".into()))?),
    );
    object.insert(
        "origin_server_ts".into(),
        CanonicalJsonValue::Integer(
            (ctx.now_millis as i64).try_into().map_err(|_| StateError::Invalid("timestamp".into()))?,
        ),
    );
    object.insert("prev_events".into(), ids(ctx.prev_events.iter().map(|(id, _)| id.clone()).collect()));
    if let Some(room_id) = ctx.room_id {
        object.insert("room_id".into(), CanonicalJsonValue::String(room_id.to_string()));
    }
    object.insert("sender".into(), CanonicalJsonValue::String(sender.to_string()));
    if let Some(state_key) = &template.state_key {
        object.insert("state_key".into(), CanonicalJsonValue::String(state_key.clone()));
    }
    object.insert("type".into(), CanonicalJsonValue::String(template.kind.to_string()));
    if let Some(redacts) = &template.redacts
        && !ctx.rules.redaction.content_field_redacts
    {
        object.insert("redacts".into(), CanonicalJsonValue::String(redacts.to_string()));
    }

    hash_and_sign_event(ctx.origin.as_str(), ctx.key, &mut object, &ctx.rules.redaction).map_err(|e| match e {
        ruma::signatures::JsonError::PduTooLarge => StateError::TooLarge,
        other => StateError::Invalid(other.to_string()),
    })?;
    let serialized_len = serde_json::to_vec(&object).map(|v| v.len()).unwrap_or(usize::MAX);
    if serialized_len > MAX_PDU_BYTES {
        return Err(StateError::TooLarge);
    }
    let hash = reference_hash(&object, ctx.rules).map_err(|_| StateError::TooLarge)?;
    let event_id = OwnedEventId::try_from(format!("${hash}")).map_err(|e| StateError::Invalid(e.to_string()))?;
    let room_id = match ctx.room_id {
        Some(room_id) => room_id.to_owned(),
        None => OwnedRoomId::try_from(format!("!{hash}")).map_err(|e| StateError::Invalid(e.to_string()))?,
    };

    state_res::check_pdu_format(&object, &ctx.rules.event_format).map_err(StateError::Invalid)?;
    let pdu = Pdu::from_json(event_id, room_id, object).map_err(|e| StateError::Invalid(e.to_string()))?;
    check_event_auth(ctx.rules, &pdu, ctx.state)?;
    Ok(pdu)
}

/// Runs the state-independent and state-dependent authorization rules for `pdu` against
/// `state` (the room state before it).
pub fn check_event_auth(rules: &RoomVersionRules, pdu: &Pdu, state: &StateMap) -> Result<(), StateError> {
    let by_id: HashMap<&ruma::EventId, &Arc<Pdu>> = state.values().map(|pdu| (&*pdu.event_id, pdu)).collect();
    state_res::check_state_independent_auth_rules(&rules.authorization, pdu, |id| by_id.get(id).map(|p| Arc::clone(p)))
        .map_err(StateError::Forbidden)?;
    state_res::check_state_dependent_auth_rules(&rules.authorization, pdu, |kind, key| {
        state.get(&(kind.clone(), key.to_owned())).cloned()
    })
    .map_err(StateError::Forbidden)
}
