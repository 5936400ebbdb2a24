//! `POST /_matrix/client/v3/rooms/{roomId}/forget`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::membership::forget_room::v3::{Request, Response};

pub(crate) async fn forget(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    state.rooms.forget(&request.room_id, &identity.user_id)?;
    Ok(Response::new())
}
