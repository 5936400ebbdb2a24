//! `POST /_matrix/client/v3/rooms/{roomId}/kick`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::membership::kick_user::v3::{Request, Response};

pub(crate) async fn kick(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    state.rooms.kick(&request.room_id, &identity.user_id, &request.user_id, request.reason.as_deref()).await?;
    Ok(Response::new())
}
