//! `POST /_matrix/client/v3/rooms/{roomId}/read_markers`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::read_marker::set_read_marker::v3::{Request, Response};

pub(crate) async fn set_read_marker(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    state.set_read_markers(
        &identity.user_id,
        &request.room_id,
        request.fully_read.as_deref(),
        request.read_receipt.as_deref(),
        request.private_read_receipt.as_deref(),
    )?;
    Ok(Response::new())
}
