//! `GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::room::get_room_event::v3::{Request, Response};

use super::event_for_client;

pub(crate) async fn get_event(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let event = state.rooms.event_for_user(&identity.user_id, &request.room_id, &request.event_id)?;
    Ok(Response::new(event_for_client(&state, identity, &event)?))
}
