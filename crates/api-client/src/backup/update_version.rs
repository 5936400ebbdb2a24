//! `PUT /_matrix/client/v3/room_keys/version/{version}`: only `auth_data` may change.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::update_backup_version::v3::{Request, Response};

pub(crate) async fn update_version(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    state.update_backup_version(&request.identity()?.user_id, &request.version, &request.algorithm)?;
    Ok(Response::new())
}
