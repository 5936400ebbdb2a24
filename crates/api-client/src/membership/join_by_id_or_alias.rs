//! `POST /_matrix/client/v3/join/{roomIdOrAlias}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::membership::join_room_by_id_or_alias::v3::{Request, Response};

use super::resolve_room;

pub(crate) async fn join_by_id_or_alias(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let room_id = resolve_room(&state, &request.room_id_or_alias)?;
    let room_id = state.rooms.join(&room_id, &identity.user_id, request.reason.as_deref()).await?;
    Ok(Response::new(room_id))
}
