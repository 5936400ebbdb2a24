//! `PUT /_matrix/client/v3/room_keys/keys/{roomId}?version=`: keys of one room.

use axum::{extract::State, response::Response};
use rempart_core::backup::KeysUploaded;
use rempart_http::{ApiResult, AppState, Ruma};
pub(crate) use ruma::api::client::backup::add_backup_keys_for_room::v3::Request;
use ruma::api::client::backup::add_backup_keys_for_room::v3::Response as Uploaded;

use super::upload_response;

/// The axum handler.
pub(crate) async fn route(State(state): State<AppState>, request: Ruma<Request>) -> Response {
    upload_response(put_room_keys(&state, &request), Uploaded::new)
}

fn put_room_keys(state: &AppState, request: &Ruma<Request>) -> ApiResult<KeysUploaded> {
    let keys = request.sessions.iter().map(|(session_id, key)| (&*request.room_id, session_id.as_str(), key));
    Ok(state.put_backup_keys(&request.identity()?.user_id, &request.version, keys)?)
}
