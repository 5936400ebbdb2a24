//! `DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::tag::delete_tag;

use super::own_identity;

pub(crate) async fn delete_tag(
    state: AppState,
    request: Ruma<delete_tag::v3::Request>,
) -> ApiResult<delete_tag::v3::Response> {
    let identity = own_identity(&request, &request.user_id)?;
    state.delete_room_tag(&identity.user_id, &request.room_id, &request.tag)?;
    Ok(delete_tag::v3::Response::new())
}
