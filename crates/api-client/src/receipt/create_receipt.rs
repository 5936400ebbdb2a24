//! `POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::receipt::create_receipt::v3::{Request, Response};

pub(crate) async fn create_receipt(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    state.set_receipt(
        &identity.user_id,
        &request.room_id,
        request.receipt_type.as_str(),
        &request.event_id,
        request.thread.as_str(),
    )?;
    Ok(Response::new())
}
