//! `GET /_matrix/client/v3/room_keys/keys/{roomId}?version=`

use rempart_core::backup::KeyScope;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::get_backup_keys_for_room::v3::{Request, Response};

pub(crate) async fn get_room_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let scope = KeyScope::Room(&request.room_id);
    let mut rooms = state.backup_keys(&request.identity()?.user_id, &request.version, scope)?;
    Ok(Response::new(rooms.remove(&request.room_id).unwrap_or_default()))
}
