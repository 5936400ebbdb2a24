//! `PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::tag::create_tag;

use super::{object_body, own_identity};

pub(crate) async fn create_tag(
    state: AppState,
    request: Ruma<create_tag::v3::Request>,
) -> ApiResult<create_tag::v3::Response> {
    let identity = own_identity(&request, &request.user_id)?;
    // The raw body keeps any field besides `order`; ruma already checked its shape.
    state.set_room_tag(&identity.user_id, &request.room_id, &request.tag, object_body(&request)?)?;
    Ok(create_tag::v3::Response::new())
}
