//! `POST /_matrix/client/v3/room_keys/version`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::create_backup_version::v3::{Request, Response};

pub(crate) async fn create_version(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    Ok(Response::new(state.create_backup_version(&identity.user_id, &request.algorithm)?))
}
