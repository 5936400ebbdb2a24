//! `GET /_matrix/client/v3/rooms/{roomId}/state`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::state::get_state_events::v3::{Request, Response};

use super::events_for_client;

pub(crate) async fn get_state(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let events = state.rooms.state_for_user(&identity.user_id, &request.room_id)?;
    Ok(Response::new(events_for_client(&state, identity, &events)?))
}
