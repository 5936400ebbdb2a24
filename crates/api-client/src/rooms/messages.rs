//! `GET /_matrix/client/v3/rooms/{roomId}/messages`

use rempart_core::rooms::{Direction, MessagesQuery};
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::{
    Direction as Dir,
    client::message::get_message_events::v3::{Request, Response},
};

use super::{events_for_client, stream_position};

pub(crate) async fn messages(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let from = request.from.as_deref().map(stream_position).transpose()?;
    let to = request.to.as_deref().map(stream_position).transpose()?;
    let direction = match request.dir {
        Dir::Backward => Direction::Backward,
        Dir::Forward => Direction::Forward,
    };
    let limit = usize::try_from(u64::from(request.limit)).unwrap_or(usize::MAX);
    let query = MessagesQuery { from, to, direction, limit, filter: &request.filter };
    let page = state.rooms.messages(&identity.user_id, &request.room_id, query)?;
    let mut response = Response::new();
    // The spec asks for `start` to be the `from` the client gave.
    response.start = request.from.clone().unwrap_or_else(|| page.start.to_string());
    response.end = page.end.map(|end| end.to_string());
    response.chunk = events_for_client(&state, identity, &page.chunk)?;
    response.state = events_for_client(&state, identity, &page.state)?;
    Ok(response)
}
