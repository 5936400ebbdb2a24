//! `PUT /_matrix/client/v3/directory/list/room/{roomId}`

use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::api::client::{
    directory::set_room_visibility::v3::{Request, Response},
    room::Visibility,
};

pub(crate) async fn set_visibility(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let published = match &request.visibility {
        Visibility::Public => true,
        Visibility::Private => false,
        other => return Err(ApiError::InvalidParam(format!("unknown visibility: {}", other.as_str()))),
    };
    state.set_room_published(identity, &request.room_id, published)?;
    tracing::info!(room_id = %request.room_id, published, by = %identity.user_id, "room directory listing changed");
    Ok(Response::new())
}
