//! `PUT /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}?version=`: the key of one session.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::add_backup_keys_for_session::v3::{Request, Response};

pub(crate) async fn put_session_key(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let keys = [(&*request.room_id, request.session_id.as_str(), &request.session_data)];
    let counts = state.put_backup_keys(&request.identity()?.user_id, &request.version, keys)?;
    Ok(Response::new(counts.etag, counts.count))
}
