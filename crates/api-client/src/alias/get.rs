//! `GET /_matrix/client/v3/directory/room/{roomAlias}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::alias::get_alias::v3::{Request, Response};

pub(crate) async fn get_alias(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    // Public in the spec; the platform is closed, so only its members resolve aliases.
    request.identity()?;
    let room_id = state.resolve_local_alias(&request.room_alias)?;
    Ok(Response::new(room_id, vec![state.config.server_name.clone()]))
}
