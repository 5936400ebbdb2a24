//! `PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}`

use std::time::Duration;

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use rempart_storage::Membership;
use ruma::api::client::typing::create_typing_event::v3::{Request, Response, Typing};

pub(crate) async fn create_typing_event(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    if request.user_id != identity.user_id {
        return Err(CoreError::Forbidden("you can only set your own typing state".into()).into());
    }
    let joined =
        state.store.membership(&request.room_id, &identity.user_id)?.is_some_and(|m| m.membership == Membership::Join);
    if !joined {
        return Err(CoreError::Forbidden("you are not joined to this room".into()).into());
    }
    let (typing, timeout) = match request.state {
        Typing::Yes(info) => (true, info.timeout),
        Typing::No => (false, Duration::ZERO),
    };
    state.typing.set(&request.room_id, &identity.user_id, typing, timeout);
    state.notifier.notify();
    Ok(Response::new())
}
