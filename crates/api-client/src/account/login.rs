//! `POST /_matrix/client/v3/login`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::session::login::{self, v3::LoginInfo};

use crate::util::user_id_from_identifier;

pub(crate) async fn login(state: AppState, request: Ruma<login::v3::Request>) -> ApiResult<login::v3::Response> {
    let body = &request.body;
    let LoginInfo::Password(password) = &body.login_info else {
        return Err(CoreError::Unrecognized("only m.login.password is supported".into()).into());
    };
    let identifier = password.identifier.as_ref().ok_or_else(|| CoreError::BadJson("identifier is required".into()))?;
    let user_id = user_id_from_identifier(identifier, &state.config.server_name)?;
    if user_id.server_name() != state.config.server_name {
        return Err(CoreError::Forbidden("invalid username or password".into()).into());
    }
    let user = state.password_login(&user_id, &password.password, request.ip.as_deref())?;
    let new_device = state.login_is_new_device(&user.user_id, body.device_id.as_deref());
    let session = state.accounts.issue_session(
        &user.user_id,
        body.device_id.clone(),
        body.initial_device_display_name.as_deref(),
        request.ip.as_deref(),
    )?;
    tracing::info!(user_id = %user.user_id, device_id = %session.device_id, "login");
    state.notify_new_login(&session.user_id, &session.device_id, request.ip.as_deref(), new_device).await;
    Ok(login::v3::Response::new(session.user_id, session.access_token, session.device_id))
}
