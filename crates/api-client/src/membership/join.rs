//! `POST /_matrix/client/v3/rooms/{roomId}/join`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::membership::join_room_by_id::v3::{Request, Response};

pub(crate) async fn join(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let room_id = state.rooms.join(&request.room_id, &identity.user_id, request.reason.as_deref()).await?;
    Ok(Response::new(room_id))
}
