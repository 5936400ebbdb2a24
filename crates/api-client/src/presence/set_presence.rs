//! `PUT /_matrix/client/v3/presence/{userId}/status`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::presence::set_presence::v3::{Request, Response};

pub(crate) async fn set_presence(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    if request.user_id != identity.user_id {
        return Err(CoreError::Forbidden("you can only set your own presence".into()).into());
    }
    state.set_presence(&identity.user_id, request.presence.as_str(), request.status_msg.as_deref())?;
    Ok(Response::new())
}
