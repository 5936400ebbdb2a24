//! `GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::tag::get_tags;
use serde_json::{Value, json};

use super::own_identity;

pub(crate) async fn get_tags(state: AppState, request: Ruma<get_tags::v3::Request>) -> ApiResult<Value> {
    let identity = own_identity(&request, &request.user_id)?;
    Ok(json!({ "tags": state.room_tags(&identity.user_id, &request.room_id)? }))
}
