//! `GET /_matrix/client/v3/presence/{userId}/status`

use std::time::Duration;

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    api::client::presence::get_presence::v3::{Request, Response},
    presence::PresenceState,
};

pub(crate) async fn get_presence(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let view = state.presence_for(&identity.user_id, &request.user_id)?;
    let mut response = Response::new(PresenceState::from(view.presence.as_str()));
    response.status_msg = view.status_msg;
    response.currently_active = Some(view.currently_active);
    response.last_active_ago = view.last_active_ago.map(Duration::from_millis);
    Ok(response)
}
