//! Rooms: creating them, sending message and state events, redacting, and reading events,
//! timelines, state and members. Reads go through the room service, which applies the one
//! visibility rule.

mod context;
mod create;
mod event;
mod get_state_event;
mod joined_members;
mod joined_rooms;
mod members;
mod messages;
mod put_state_event;
mod redact;
pub(crate) mod reply;
mod send;
mod state;

use axum::{Router, routing::get};
use rempart_core::{
    CoreError,
    accounts::Identity,
    events::{Viewer, client_event},
    sync::StreamToken,
};
use rempart_http::{ApiError, ApiResult, AppState, RouterExt};
use rempart_storage::StoredEvent;
use ruma::{
    api::{Metadata, client::state::get_state_event_for_key, path_builder::PathBuilder},
    serde::Raw,
};
use serde_json::Value;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = router
        .ruma_route(create::create_room)
        .ruma_route(send::send_message)
        .ruma_route(redact::redact)
        .ruma_route(event::get_event)
        .ruma_route(state::get_state)
        .ruma_route(messages::messages)
        .ruma_route(context::context)
        .ruma_route(members::members)
        .ruma_route(joined_members::joined_members)
        .ruma_route(joined_rooms::joined_rooms);
    state_event_paths()
        .iter()
        .fold(router, |router, path| router.route(path, get(get_state_event::route).put(put_state_event::route)))
}

/// Every path of the single-state-event endpoints: ruma's `.../state/{event_type}/{state_key}`
/// plus the forms with an empty state key, `.../state/{event_type}` and `.../state/{event_type}/`,
/// which the router cannot match with an empty path parameter.
fn state_event_paths() -> Vec<String> {
    get_state_event_for_key::v3::Request::PATH_BUILDER
        .all_paths()
        .flat_map(|path| {
            let base = path.strip_suffix("/{state_key}").unwrap_or(path);
            [path.to_owned(), base.to_owned(), format!("{base}/")]
        })
        .collect()
}

/// Our JSON as a ruma `Raw` value.
pub(crate) fn to_raw<T>(value: &Value) -> ApiResult<Raw<T>> {
    serde_json::value::to_raw_value(value)
        .map(Raw::from_json)
        .map_err(|e| ApiError::Core(CoreError::Internal(format!("serialising event: {e}"))))
}

/// A stored event in the client format, as the requesting device sees it.
pub(crate) fn event_for_client<T>(state: &AppState, identity: &Identity, event: &StoredEvent) -> ApiResult<Raw<T>> {
    let viewer = Viewer { user_id: &identity.user_id, device_id: Some(&identity.device_id) };
    to_raw(&client_event(&*state.store, event, viewer, true))
}

/// Several stored events in the client format.
pub(crate) fn events_for_client<T>(
    state: &AppState,
    identity: &Identity,
    events: &[StoredEvent],
) -> ApiResult<Vec<Raw<T>>> {
    events.iter().map(|event| event_for_client(state, identity, event)).collect()
}

/// A pagination token (`"123"`, or a sync token `"s123_4"`) as a stream position.
pub(crate) fn stream_position(token: &str) -> ApiResult<i64> {
    StreamToken::parse(token)
        .map(|t| t.stream)
        .ok_or_else(|| ApiError::InvalidParam(format!("invalid pagination token: {token}")))
}
