//! `POST /_matrix/client/v3/knock/{roomIdOrAlias}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::knock::knock_room::v3::{Request, Response};

use super::resolve_room;

pub(crate) async fn knock(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let room_id = resolve_room(&state, &request.room_id_or_alias)?;
    let room_id = state.rooms.knock(&room_id, &identity.user_id, request.reason.as_deref()).await?;
    Ok(Response::new(room_id))
}
