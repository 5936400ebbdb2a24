//! `PUT /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}?version=`: the key of one session.

use axum::{extract::State, response::Response};
use rempart_core::backup::KeysUploaded;
use rempart_http::{ApiResult, AppState, Ruma};
pub(crate) use ruma::api::client::backup::add_backup_keys_for_session::v3::Request;
use ruma::api::client::backup::add_backup_keys_for_session::v3::Response as Uploaded;

use super::upload_response;

/// The axum handler.
pub(crate) async fn route(State(state): State<AppState>, request: Ruma<Request>) -> Response {
    upload_response(put_session_key(&state, &request), Uploaded::new)
}

fn put_session_key(state: &AppState, request: &Ruma<Request>) -> ApiResult<KeysUploaded> {
    let key = (&*request.room_id, request.session_id.as_str(), &request.session_data);
    Ok(state.put_backup_keys(&request.identity()?.user_id, &request.version, [key])?)
}
