//! `POST /_matrix/client/v3/rooms/{roomId}/leave`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::membership::leave_room::v3::{Request, Response};

pub(crate) async fn leave(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    // Suspended accounts may still leave rooms and reject invites (spec: "Account suspension").
    let identity = request.identity()?;
    state.rooms.leave(&request.room_id, &identity.user_id, request.reason.as_deref()).await?;
    Ok(Response::new())
}
