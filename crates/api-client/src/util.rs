//! Small conversions shared by handlers.

use rempart_core::{
    CoreError, Services,
    accounts::Identity,
    login_protection::Origin,
    uia::{UiaStage, UiaSubmission},
};
use rempart_http::ApiError;
use ruma::{
    OwnedUserId, ServerName,
    api::client::uiaa::{AuthData, UserIdentifier},
};

/// Resolves a login identifier (full user id or localpart) to a user id on this shard.
pub fn user_id_from_identifier(identifier: &UserIdentifier, server_name: &ServerName) -> Result<OwnedUserId, ApiError> {
    match identifier {
        UserIdentifier::Matrix(matrix) => user_id_from_str(&matrix.user, server_name),
        _ => Err(CoreError::Forbidden("only m.id.user identifiers are supported".into()).into()),
    }
}

/// Parses `@local:server` or a bare localpart into a user id on this shard.
pub fn user_id_from_str(user: &str, server_name: &ServerName) -> Result<OwnedUserId, ApiError> {
    let full = if user.starts_with('@') { user.to_owned() } else { format!("@{}:{server_name}", user.to_lowercase()) };
    OwnedUserId::try_from(full).map_err(|_| CoreError::Forbidden("invalid username or password".into()).into())
}

/// Converts ruma's UIA auth data into the core's submission.
pub fn uia_submission(auth: Option<&AuthData>, server_name: &ServerName) -> UiaSubmission {
    let Some(auth) = auth else { return UiaSubmission::default() };
    let stage = match auth {
        AuthData::Password(password) => UiaStage::Password {
            user: user_id_from_identifier(&password.identifier, server_name).ok(),
            password: password.password.clone(),
        },
        AuthData::Dummy(_) => UiaStage::Dummy,
        AuthData::RegistrationToken(token) => UiaStage::RegistrationToken(token.token.clone()),
        other => UiaStage::Other(other.auth_type().map(|t| t.to_string()).unwrap_or_default()),
    };
    UiaSubmission { session: auth.session().map(ToOwned::to_owned), stage: Some(stage) }
}

/// Runs user-interactive authentication by password for a sensitive action of `identity`
/// (`purpose` names the endpoint, so a completed session cannot be replayed elsewhere).
/// Password submissions go through the brute-force protection, so that a stolen token does not
/// give unlimited guesses at the account's password.
pub fn require_password(
    state: &Services,
    identity: &Identity,
    purpose: &str,
    auth: Option<&AuthData>,
) -> Result<(), ApiError> {
    let attempt = match auth {
        Some(AuthData::Password(_)) => Some(state.login_protection.begin(&identity.user_id, Origin::OwnSession)?),
        _ => None,
    };
    let result = state.uia.authorize(
        purpose,
        uia_submission(auth, &state.config.server_name),
        &[&["m.login.password"]],
        Some(&identity.user_id),
        &state.accounts,
        &[],
    );
    if let Some(attempt) = attempt {
        match &result {
            Ok(()) => attempt.succeeded(),
            // The stage was refused: a wrong password (the only stage offered here).
            Err(CoreError::UiaRequired(body)) if body.get("errcode").is_some() => attempt.failed(),
            Err(_) => drop(attempt),
        }
    }
    result.map_err(Into::into)
}

/// The query parameter naming files an event links explicitly (MSC3911, unstable prefix):
/// repeated once per `mxc://` URI, for encrypted events whose references the server cannot see.
const ATTACH_MEDIA_PARAM: &str = "org.matrix.msc3911.attach_media";

/// The `mxc://` URIs a send names in [`ATTACH_MEDIA_PARAM`].
pub(crate) fn attached_media(query: Option<&str>) -> Vec<String> {
    let Some(query) = query else { return Vec::new() };
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == ATTACH_MEDIA_PARAM)
        .map(|(_, value)| value.into_owned())
        .collect()
}
