//! `DELETE /_matrix/client/v3/profile/{userId}/{keyName}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    api::client::profile::delete_profile_field::v3::{Request, Response},
    profile::ProfileFieldName,
};

use super::{ensure_own_writable, unsupported_field};

pub(crate) async fn delete_profile_field(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    ensure_own_writable(identity, &request.user_id)?;
    match request.field {
        ProfileFieldName::DisplayName => state.set_displayname(&identity.user_id, None).await?,
        ProfileFieldName::AvatarUrl => state.set_avatar_url(&identity.user_id, None).await?,
        _ => return Err(unsupported_field(request.field.as_str())),
    }
    Ok(Response::new())
}
