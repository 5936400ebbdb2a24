//! Profiles: the whole profile, and one field at a time (`displayname`, `avatar_url`; the
//! v1.16 generic field endpoints, whose paths are also the legacy per-field paths). Only those
//! two fields exist here: other fields read as unset and cannot be written.
//!
//! Reads require an access token although the spec marks them public: the design makes
//! profiles readable by authenticated members of the platform only (Synapse's
//! `require_auth_for_profile_requests`), and another user's profile only by those who may
//! discover them, within a read budget (`rempart_core::profile`).

mod delete_profile_field;
mod get_profile;
mod get_profile_field;
mod set_profile_field;

use axum::Router;
use rempart_core::{CoreError, accounts::Identity};
use rempart_http::{ApiError, ApiResult, AppState, RouterExt};
use ruma::UserId;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(set_profile_field::set_profile_field)
        .ruma_route(delete_profile_field::delete_profile_field)
        .ruma_route_json(get_profile::get_profile)
        .ruma_route_json(get_profile_field::get_profile_field)
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
