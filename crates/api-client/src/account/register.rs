//! `POST /_matrix/client/v3/register`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use rempart_types::config::RegistrationMode;
use ruma::api::client::account::register::{self, RegistrationKind};

use crate::util::uia_submission;

pub(crate) async fn register(
    state: AppState,
    request: Ruma<register::v3::Request>,
) -> ApiResult<register::v3::Response> {
    let body = &request.body;
    if body.kind == RegistrationKind::Guest {
        return Err(CoreError::Forbidden("guest access is disabled on this server".into()).into());
    }
    let flows: &[&[&str]] = match state.config.registration.mode {
        RegistrationMode::Disabled => {
            return Err(CoreError::Forbidden("registration is disabled on this server".into()).into());
        }
        RegistrationMode::Open => &[&["m.login.dummy"]],
        RegistrationMode::Token => &[&["m.login.registration_token"]],
    };
    // Check the name before asking for authentication, so a client learns early that it is
    // taken, as Synapse does.
    let localpart = match &body.username {
        Some(name) => name.to_lowercase(),
        None => random_localpart(),
    };
    if !state.accounts.is_available(&localpart)? {
        return Err(CoreError::UserInUse.into());
    }
    let password = body.password.as_deref().ok_or_else(|| CoreError::BadJson("a password is required".into()))?;
    // Before authentication too, as Synapse does: a weak password is known before any stage.
    rempart_core::password_policy::check(&state.config.password_policy, password)?;
    state.uia.authorize(
        "register",
        uia_submission(body.auth.as_ref(), &state.config.server_name),
        flows,
        None,
        &state.accounts,
        &state.config.registration.tokens,
    )?;
    let user_id = state.accounts.create_user(&localpart, Some(password), false)?;
    let mut response = register::v3::Response::new(user_id.clone());
    if !body.inhibit_login {
        let session = state.accounts.issue_session(
            &user_id,
            body.device_id.clone(),
            body.initial_device_display_name.as_deref(),
            request.ip.as_deref(),
        )?;
        response.access_token = Some(session.access_token);
        response.device_id = Some(session.device_id);
    }
    tracing::info!(%user_id, "account registered");
    Ok(response)
}

fn random_localpart() -> String {
    rempart_core::accounts::random_token().to_lowercase().chars().filter(char::is_ascii_alphanumeric).take(12).collect()
}
