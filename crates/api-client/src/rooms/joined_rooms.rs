//! `GET /_matrix/client/v3/joined_rooms`

use rempart_http::{ApiResult, AppState, Ruma};
use rempart_storage::Membership;
use ruma::api::client::membership::joined_rooms::v3::{Request, Response};

pub(crate) async fn joined_rooms(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let rooms = state
        .store
        .user_memberships(&identity.user_id)?
        .into_iter()
        .filter(|m| m.membership == Membership::Join)
        .map(|m| m.room_id)
        .collect();
    Ok(Response::new(rooms))
}
