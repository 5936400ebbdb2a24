//! `DELETE /_matrix/client/v3/room_keys/keys?version=`

use rempart_core::backup::KeyScope;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::backup::delete_backup_keys::v3::{Request, Response};

pub(crate) async fn delete_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let counts = state.delete_backup_keys(&request.identity()?.user_id, &request.version, KeyScope::All)?;
    Ok(Response::new(counts.etag, counts.count))
}
