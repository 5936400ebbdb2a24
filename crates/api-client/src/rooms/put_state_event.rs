//! `PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`, also without the state
//! key (`.../state/{eventType}` and `.../state/{eventType}/`) for the empty one.

use axum::{extract::State, response::Response};
use rempart_core::CoreError;
use rempart_http::{AppState, Ruma};
use rempart_state::EventTemplate;
use rempart_storage::Membership;
use ruma::{
    OwnedUserId,
    api::client::state::send_state_event::v3::{Request, Response as SendResponse},
    events::{StateEventType, TimelineEventType},
};
use serde_json::Value;

use super::reply::{Outcome, bad_alias, respond};

/// The axum handler, registered under every path form.
pub(crate) async fn route(State(state): State<AppState>, request: Ruma<Request>) -> Response {
    respond(put_state_event(&state, &request).await)
}

async fn put_state_event(state: &AppState, request: &Ruma<Request>) -> Outcome<SendResponse> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let (room_id, user_id) = (&request.room_id, &identity.user_id);
    let content: Value = serde_json::from_str(request.body.body.json().get())
        .map_err(|e| CoreError::BadJson(format!("invalid content: {e}")))?;
    match &request.event_type {
        StateEventType::RoomCanonicalAlias => {
            if let Some(problem) = state.canonical_alias_problem(room_id, &content)? {
                return Err(bad_alias(problem));
            }
        }
        StateEventType::RoomMember if content.get("membership").and_then(Value::as_str) == Some("invite") => {
            // Like `/invite`: the invitee must be an account of this shard.
            let target = OwnedUserId::try_from(request.state_key.as_str())
                .map_err(|_| CoreError::BadJson("the state key of a member event must be a user id".into()))?;
            state.profile(&target)?;
        }
        _ => {}
    }
    // Like Synapse, setting a member's own state to what it already is returns the existing
    // event instead of adding a duplicate.
    let joined = state.store.membership(room_id, user_id)?.is_some_and(|m| m.membership == Membership::Join);
    if joined
        && let Ok(current) = state.rooms.state_event_for_user(user_id, room_id, &request.event_type, &request.state_key)
        && current.pdu.sender == *user_id
        && current.pdu.content_value() == content
    {
        return Ok(SendResponse::new(current.pdu.event_id.clone()));
    }
    let template = EventTemplate {
        kind: TimelineEventType::from(request.event_type.to_string()),
        content,
        state_key: Some(request.state_key.clone()),
        redacts: None,
    };
    let attached = crate::util::attached_media(request.query.as_deref());
    let sent = state.rooms.send_event_attaching(room_id, user_id, template, None, &attached).await?;
    Ok(SendResponse::new(sent.event_id))
}
