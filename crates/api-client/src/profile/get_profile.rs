//! `GET /_matrix/client/v3/profile/{userId}`

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, Uri},
    response::{IntoResponse, Response},
};
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::{Metadata, client::profile::get_profile::v3::Request, path_builder::PathBuilder};
use serde_json::{Map, Value};

use super::require_identity;

/// Every path of the endpoint.
pub(super) fn paths() -> impl Iterator<Item = &'static str> {
    Request::PATH_BUILDER.all_paths()
}

fn profile(state: &AppState, headers: &HeaderMap, uri: &Uri, request: &Ruma<Request>) -> ApiResult<Value> {
    require_identity(state, headers, uri, request.ip.as_deref())?;
    let profile = state.profile(&request.user_id)?;
    let mut body = Map::new();
    if let Some(displayname) = profile.displayname {
        body.insert("displayname".into(), displayname.into());
    }
    if let Some(avatar_url) = profile.avatar_url {
        body.insert("avatar_url".into(), avatar_url.into());
    }
    Ok(Value::Object(body))
}

pub(super) async fn get_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    request: Ruma<Request>,
) -> Response {
    match profile(&state, &headers, &uri, &request) {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}
