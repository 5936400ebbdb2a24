//! `GET /_matrix/client/v3/profile/{userId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::profile::get_profile::v3::Request;
use serde_json::{Map, Value};

pub(super) async fn get_profile(state: AppState, request: Ruma<Request>) -> ApiResult<Value> {
    // Public in the spec; members of the platform only here (see the module documentation).
    let identity = request.identity()?;
    let profile = state.profile_for(&identity.user_id, &request.user_id)?;
    let mut body = Map::new();
    if let Some(displayname) = profile.displayname {
        body.insert("displayname".into(), displayname.into());
    }
    if let Some(avatar_url) = profile.avatar_url {
        body.insert("avatar_url".into(), avatar_url.into());
    }
    Ok(Value::Object(body))
}
