//! `DELETE /_matrix/client/v3/room_keys/version/{version}`: the version and all its keys.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::delete_backup_version::v3::{Request, Response};

pub(crate) async fn delete_version(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    state.delete_backup_version(&request.identity()?.user_id, &request.version)?;
    Ok(Response::new())
}
