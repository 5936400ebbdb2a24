//! `PUT /_matrix/client/v3/room_keys/keys/{roomId}?version=`: keys of one room.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::add_backup_keys_for_room::v3::{Request, Response};

pub(crate) async fn put_room_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let keys = request.sessions.iter().map(|(session_id, key)| (&*request.room_id, session_id.as_str(), key));
    let counts = state.put_backup_keys(&request.identity()?.user_id, &request.version, keys)?;
    Ok(Response::new(counts.etag, counts.count))
}
