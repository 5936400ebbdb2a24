//! `GET /_matrix/client/v3/room_keys/version`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::get_latest_backup_info::v3::{Request, Response};

pub(crate) async fn latest_version(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let info = state.backup_version(&request.identity()?.user_id, None)?;
    Ok(Response::new(info.algorithm, info.count, info.etag, info.version))
}
