//! `GET /_matrix/client/v3/rooms/{roomId}/aliases`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::room::aliases::v3::{Request, Response};

pub(crate) async fn room_aliases(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    Ok(Response::new(state.room_aliases_for_user(&identity.user_id, &request.room_id)?))
}
