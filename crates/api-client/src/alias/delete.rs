//! `DELETE /_matrix/client/v3/directory/room/{roomAlias}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::alias::delete_alias::v3::{Request, Response};

pub(crate) async fn delete_alias(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    state.delete_alias(identity, &request.room_alias).await?;
    tracing::info!(alias = %request.room_alias, by = %identity.user_id, "room alias deleted");
    Ok(Response::new())
}
