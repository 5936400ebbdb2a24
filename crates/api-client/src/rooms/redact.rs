//! `PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}`

use rempart_http::{ApiResult, AppState, Ruma};
use rempart_state::EventTemplate;
use ruma::{
    api::client::redact::redact_event::v3::{Request, Response},
    events::TimelineEventType,
};
use serde_json::json;

pub(crate) async fn redact(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let rules = state.rooms.rules(&state.rooms.room(&request.room_id)?)?;
    // Suspended accounts may still redact their own events (spec: "Account suspension"). Who
    // may redact what is checked by the room service for every redaction, so only suspended
    // accounts need this look-up here.
    if identity.suspended && !state.rooms.ensure_may_redact(&request.room_id, &identity.user_id, &request.event_id)? {
        identity.ensure_can_write()?;
    }
    let mut content = json!({});
    if let Some(reason) = &request.reason {
        content["reason"] = reason.as_str().into();
    }
    if rules.redaction.content_field_redacts {
        content["redacts"] = request.event_id.as_str().into();
    }
    let template = EventTemplate {
        kind: TimelineEventType::RoomRedaction,
        content,
        state_key: None,
        redacts: Some(request.event_id.clone()),
    };
    let txn = Some((identity.device_id.clone(), request.txn_id.to_string()));
    let sent = state.rooms.send_event(&request.room_id, &identity.user_id, template, txn).await?;
    Ok(Response::new(sent.event_id))
}
