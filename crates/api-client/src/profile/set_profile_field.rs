//! `PUT /_matrix/client/v3/profile/{userId}/{keyName}` (also the legacy
//! `/profile/{userId}/displayname` and `/profile/{userId}/avatar_url`)

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    api::client::profile::set_profile_field::v3::{Request, Response},
    profile::ProfileFieldValue,
};

use super::{ensure_own_writable, unsupported_field};

pub(crate) async fn set_profile_field(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    ensure_own_writable(identity, &request.user_id)?;
    // An empty string clears the field, as in Synapse.
    match &request.value {
        ProfileFieldValue::DisplayName(name) => {
            state.set_displayname(&identity.user_id, Some(name.as_str()).filter(|n| !n.is_empty())).await?;
        }
        ProfileFieldValue::AvatarUrl(url) => {
            state.set_avatar_url(&identity.user_id, Some(url.as_str()).filter(|u| !u.is_empty())).await?;
        }
        other => return Err(unsupported_field(other.field_name().as_str())),
    }
    Ok(Response::new())
}
