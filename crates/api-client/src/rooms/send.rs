//! `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`

use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use rempart_state::EventTemplate;
use ruma::{
    OwnedEventId,
    api::client::message::send_message_event::v3::{Request, Response},
    events::TimelineEventType,
};
use serde_json::Value;

pub(crate) async fn send_message(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let content: Value = serde_json::from_str(request.body.body.json().get())
        .map_err(|e| ApiError::BadJson(format!("invalid content: {e}")))?;
    if !content.is_object() {
        return Err(ApiError::BadJson("event content must be a JSON object".into()));
    }
    let kind = TimelineEventType::from(request.event_type.to_string());
    // A redaction sent as a plain event (room versions 11+ carry `redacts` in the content) is
    // checked by the room service like one sent through `/redact`.
    let redacts = match (kind == TimelineEventType::RoomRedaction, content.get("redacts")) {
        (true, Some(Value::String(target))) => Some(
            OwnedEventId::try_from(target.as_str()).map_err(|e| ApiError::BadJson(format!("invalid redacts: {e}")))?,
        ),
        _ => None,
    };
    let template = EventTemplate { kind, content, state_key: None, redacts };
    let txn = Some((identity.device_id.clone(), request.txn_id.to_string()));
    let attached = crate::util::attached_media(request.query.as_deref());
    let sent = state.rooms.send_event_attaching(&request.room_id, &identity.user_id, template, txn, &attached).await?;
    Ok(Response::new(sent.event_id))
}
