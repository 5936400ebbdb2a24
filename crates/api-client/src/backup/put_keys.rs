//! `PUT /_matrix/client/v3/room_keys/keys?version=`: keys of any number of rooms.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::add_backup_keys::v3::{Request, Response};

pub(crate) async fn put_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let keys = request.rooms.iter().flat_map(|(room_id, room)| {
        room.sessions.iter().map(move |(session_id, key)| (&**room_id, session_id.as_str(), key))
    });
    let counts = state.put_backup_keys(&request.identity()?.user_id, &request.version, keys)?;
    Ok(Response::new(counts.etag, counts.count))
}
