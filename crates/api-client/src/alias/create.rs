//! `PUT /_matrix/client/v3/directory/room/{roomAlias}`

use axum::http::StatusCode;
use rempart_core::CoreError;
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::api::client::alias::create_alias;

pub(crate) async fn create_alias(
    state: AppState,
    request: Ruma<create_alias::v3::Request>,
) -> ApiResult<create_alias::v3::Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    match state.create_alias(identity, &request.room_alias, &request.room_id) {
        // The spec answers a taken alias with 409 (and Synapse with `M_UNKNOWN`).
        Err(CoreError::RoomInUse) => Err(ApiError::Specific {
            status: StatusCode::CONFLICT,
            errcode: "M_UNKNOWN",
            message: format!("room alias {} already exists", request.room_alias),
        }),
        Err(error) => Err(error.into()),
        Ok(()) => {
            tracing::info!(alias = %request.room_alias, room_id = %request.room_id, "room alias created");
            Ok(create_alias::v3::Response::new())
        }
    }
}
