//! Profiles: the whole profile, and one field at a time (`displayname`, `avatar_url`; the
//! v1.16 generic field endpoints, whose paths are also the legacy per-field paths). Only those
//! two fields exist here: other fields read as unset and cannot be written.
//!
//! Reads require an access token although the spec marks them public: the design makes
//! profiles readable by authenticated members of the platform only (Synapse's
//! `require_auth_for_profile_requests`). ruma's types declare no authentication, so the read
//! handlers are plain axum handlers that authenticate through the same
//! `Accounts::authenticate` as every other request.

mod delete_profile_field;
mod get_profile;
mod get_profile_field;
mod set_profile_field;

use axum::{
    Router,
    handler::Handler,
    http::{HeaderMap, Uri, header},
    routing::get,
};
use rempart_core::{CoreError, accounts::Identity};
use rempart_http::{ApiError, ApiResult, AppState, RouterExt};
use ruma::UserId;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router =
        router.ruma_route(set_profile_field::set_profile_field).ruma_route(delete_profile_field::delete_profile_field);
    let router = get_at(router, get_profile::paths(), get_profile::get_profile);
    get_at(router, get_profile_field::paths(), get_profile_field::get_profile_field)
}

/// Registers a `GET` handler at each of an endpoint's paths.
fn get_at<H, T>(router: Router<AppState>, paths: impl Iterator<Item = &'static str>, handler: H) -> Router<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    paths.fold(router, |router, path| router.route(path, get(handler.clone())))
}

/// The bearer token of a request: the `Authorization` header, or the deprecated
/// `access_token` query parameter.
fn access_token(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(token) =
        headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "))
    {
        return Some(token.trim().to_owned());
    }
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "access_token")
        .map(|(_, v)| v.to_owned())
}

/// Authenticates a profile read (see the module documentation).
fn require_identity(state: &AppState, headers: &HeaderMap, uri: &Uri, ip: Option<&str>) -> ApiResult<Identity> {
    let token = access_token(headers, uri).ok_or(ApiError::MissingToken)?;
    let user_agent = headers.get(header::USER_AGENT).and_then(|h| h.to_str().ok());
    Ok(state.accounts.authenticate(&token, ip, user_agent)?)
}

/// Refuses profile writes for anyone but the owner, and from suspended accounts.
fn ensure_own_writable(identity: &Identity, user_id: &UserId) -> ApiResult<()> {
    if identity.user_id != user_id {
        return Err(CoreError::Forbidden("you can only change your own profile".into()).into());
    }
    Ok(identity.ensure_can_write()?)
}

/// The answer for profile fields this server does not keep.
fn unsupported_field(field: &str) -> ApiError {
    CoreError::Forbidden(format!("this server does not support the profile field {field}")).into()
}
