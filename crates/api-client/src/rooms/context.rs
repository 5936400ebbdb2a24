//! `GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}`

use std::collections::HashSet;

use rempart_core::rooms::EventContext;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    api::client::context::get_context::v3::{Request, Response},
    events::TimelineEventType,
};

use super::{event_for_client, events_for_client};

pub(crate) async fn context(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let limit = usize::try_from(u64::from(request.limit)).unwrap_or(usize::MAX);
    let EventContext { event, before, after, state: mut room_state } =
        state.rooms.context(&identity.user_id, &request.room_id, &request.event_id, limit, &request.filter)?;
    if !request.filter.lazy_load_options.is_disabled() {
        // Lazy loading: only the members who sent the returned events, and the requester.
        let senders: HashSet<&str> = before
            .iter()
            .chain(&after)
            .chain([&event])
            .map(|e| e.pdu.sender.as_str())
            .chain([identity.user_id.as_str()])
            .collect();
        room_state.retain(|e| {
            e.pdu.kind != TimelineEventType::RoomMember
                || e.pdu.state_key.as_deref().is_some_and(|key| senders.contains(key))
        });
    }
    // A token lies just after the event at its position: `start` is before the oldest event
    // returned, `end` after the newest.
    let oldest = before.last().map_or(event.stream, |e| e.stream);
    let newest = after.last().map_or(event.stream, |e| e.stream);
    let mut response = Response::new();
    response.start = Some(oldest.saturating_sub(1).max(0).to_string());
    response.end = Some(newest.to_string());
    response.event = Some(event_for_client(&state, identity, &event)?);
    response.events_before = events_for_client(&state, identity, &before)?;
    response.events_after = events_for_client(&state, identity, &after)?;
    response.state = events_for_client(&state, identity, &room_state)?;
    Ok(response)
}
