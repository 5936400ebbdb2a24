//! `GET /_matrix/client/v3/profile/{userId}/{keyName}` (also the legacy
//! `/profile/{userId}/displayname` and `/profile/{userId}/avatar_url`)

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{api::client::profile::get_profile_field::v3::Request, profile::ProfileFieldName};
use serde_json::{Value, json};

/// The field as `{ "<field>": value }`; an unset `displayname` or `avatar_url` is `{}` (what
/// the legacy endpoints answer and every client understands), other fields are never set.
pub(super) async fn get_profile_field(state: AppState, request: Ruma<Request>) -> ApiResult<Value> {
    // Public in the spec; members of the platform only here (see the module documentation).
    let identity = request.identity()?;
    let profile = state.profile_for(&identity.user_id, &request.user_id)?;
    let value = match request.field {
        ProfileFieldName::DisplayName => profile.displayname,
        ProfileFieldName::AvatarUrl => profile.avatar_url,
        _ => return Err(CoreError::NotFound(format!("profile field {} is not set", request.field)).into()),
    };
    Ok(match value {
        Some(value) => json!({ request.field.as_str(): value }),
        None => json!({}),
    })
}
