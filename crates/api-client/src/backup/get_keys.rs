//! `GET /_matrix/client/v3/room_keys/keys?version=`

use rempart_core::backup::KeyScope;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::{
    RoomKeyBackup,
    get_backup_keys::v3::{Request, Response},
};

pub(crate) async fn get_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let rooms = state.backup_keys(&request.identity()?.user_id, &request.version, KeyScope::All)?;
    Ok(Response::new(rooms.into_iter().map(|(room_id, sessions)| (room_id, RoomKeyBackup::new(sessions))).collect()))
}
