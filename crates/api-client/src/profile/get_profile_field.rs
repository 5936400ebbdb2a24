//! `GET /_matrix/client/v3/profile/{userId}/{keyName}` (also the legacy
//! `/profile/{userId}/displayname` and `/profile/{userId}/avatar_url`)

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, Uri},
    response::{IntoResponse, Response},
};
use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    api::{Metadata, client::profile::get_profile_field::v3::Request, path_builder::PathBuilder},
    profile::ProfileFieldName,
};
use serde_json::{Value, json};

use super::require_identity;

/// Every path of the endpoint.
pub(super) fn paths() -> impl Iterator<Item = &'static str> {
    Request::PATH_BUILDER.all_paths()
}

/// The field as `{ "<field>": value }`; an unset `displayname` or `avatar_url` is `{}` (what
/// the legacy endpoints answer and every client understands), other fields are never set.
fn field(state: &AppState, headers: &HeaderMap, uri: &Uri, request: &Ruma<Request>) -> ApiResult<Value> {
    require_identity(state, headers, uri, request.ip.as_deref())?;
    let profile = state.profile(&request.user_id)?;
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

pub(super) async fn get_profile_field(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    request: Ruma<Request>,
) -> Response {
    match field(&state, &headers, &uri, &request) {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}
