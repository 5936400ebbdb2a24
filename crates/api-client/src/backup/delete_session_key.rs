//! `DELETE /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}?version=`

use rempart_core::backup::KeyScope;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::delete_backup_keys_for_session::v3::{Request, Response};

pub(crate) async fn delete_session_key(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let scope = KeyScope::Session(&request.room_id, &request.session_id);
    let counts = state.delete_backup_keys(&request.identity()?.user_id, &request.version, scope)?;
    Ok(Response::new(counts.etag, counts.count))
}
