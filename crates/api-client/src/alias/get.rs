//! `GET /_matrix/client/v3/directory/room/{roomAlias}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::alias::get_alias::v3::{Request, Response};

pub(crate) async fn get_alias(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    // Public, as the spec says: matrix-rust-sdk (Element X) resolves aliases without a token,
    // so requiring one would break joining by alias. An alias only reveals a room id.
    let room_id = state.resolve_local_alias(&request.room_alias)?;
    Ok(Response::new(room_id, vec![state.config.server_name.clone()]))
}
