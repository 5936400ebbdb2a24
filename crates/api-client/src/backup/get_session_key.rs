//! `GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}?version=`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::get_backup_keys_for_session::v3::{Request, Response};

pub(crate) async fn get_session_key(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let user_id = &request.identity()?.user_id;
    Ok(Response::new(state.backup_key(user_id, &request.version, &request.room_id, &request.session_id)?))
}
