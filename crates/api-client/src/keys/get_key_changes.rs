//! `GET /_matrix/client/v3/keys/changes`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::keys::get_key_changes::v3::{Request, Response};

pub(crate) async fn get_key_changes(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let (changed, left) = state.key_changes(&identity.user_id, &request.from, &request.to)?;
    Ok(Response::new(changed, left))
}
