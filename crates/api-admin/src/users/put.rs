//! `PUT /_synapse/admin/v2/users/{userId}`: creates an account (201) or modifies one (200):
//! password, display name, avatar, admin rights, deactivation, lock. Only what differs from the
//! account's current state is changed, each change through the core service that audits it.

use axum::http::{StatusCode, header};
use rempart_core::CoreError;
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use rempart_storage::{AccountStatus, UserRecord};
use ruma::{
    UserId,
    api::{BytesBody, OutgoingResponse, error::IntoHttpError},
};

use super::{ensure_local, local_user, user_details};
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedUserId,
        api::{auth_scheme::AccessToken, request},
        metadata,
    };

    use crate::users::UserDetails;

    metadata! {
        method: PUT,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}",
        }
    }

    /// Create or modify one account. Absent fields are left as they are.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// A new password, subject to the password policy.
        pub password: Option<String>,
        /// With a new password, end every session (default true).
        pub logout_devices: Option<bool>,
        /// Display name; an empty string removes it.
        pub displayname: Option<String>,
        /// Avatar `mxc://` URI; an empty string removes it.
        pub avatar_url: Option<String>,
        /// Server admin rights (default false for a new account).
        pub admin: Option<bool>,
        /// Deactivate the account (an account cannot be reactivated).
        pub deactivated: Option<bool>,
        /// Lock or unlock the account.
        pub locked: Option<bool>,
        /// Not supported: only an empty list is accepted.
        pub threepids: Option<Vec<serde_json::Value>>,
        /// Not supported: only an empty list is accepted.
        pub external_ids: Option<Vec<serde_json::Value>>,
        /// Not supported: only null is accepted.
        pub user_type: Option<String>,
    }

    /// The account's details, with 201 when it was created and 200 when it was modified.
    #[derive(Debug)]
    pub struct Response {
        /// Whether the account was created.
        pub created: bool,
        /// Its details after the change.
        pub details: UserDetails,
    }
}

/// The status code says whether the account was created, which ruma's response macro cannot
/// express.
impl OutgoingResponse for api::Response {
    type Body = BytesBody;

    fn try_into_http_response_inner(self) -> Result<axum::http::Response<BytesBody>, IntoHttpError> {
        let status = if self.created { StatusCode::CREATED } else { StatusCode::OK };
        Ok(axum::http::Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(BytesBody(serde_json::to_vec(&self.details)?))?)
    }
}

/// Synapse's bound on passwords set through the admin API.
const MAX_PASSWORD_BYTES: usize = 512;

pub(crate) async fn put_user(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    ensure_local(&state, &request.user_id)?;
    check_request(&request)?;
    let actor = admin.user_id.as_str();
    let created = match state.accounts.get_user(&request.user_id)? {
        Some(existing) => {
            modify(&state, actor, &admin.user_id, &request, &existing).await?;
            false
        }
        None => {
            create(&state, actor, &request).await?;
            true
        }
    };
    let user = local_user(&state, &request.user_id)?;
    Ok(api::Response { created, details: user_details(&state, user)? })
}

/// Refuses what Rempart does not have (rather than silently dropping it) and malformed values,
/// before anything changes.
fn check_request(request: &api::Request) -> ApiResult<()> {
    if request.threepids.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::InvalidParam("third-party identifiers are not supported".into()));
    }
    if request.external_ids.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(ApiError::InvalidParam("external identity providers are not supported".into()));
    }
    if request.user_type.is_some() {
        return Err(ApiError::InvalidParam("user types are not supported".into()));
    }
    if request.password.as_ref().is_some_and(|p| p.len() > MAX_PASSWORD_BYTES) {
        return Err(ApiError::InvalidParam("the password is longer than 512 bytes".into()));
    }
    // The profile service checks these too, but only after the password may have changed.
    if request.displayname.as_ref().is_some_and(|d| d.len() > 256) {
        return Err(ApiError::BadJson("display name is longer than 256 bytes".into()));
    }
    if request.avatar_url.as_ref().is_some_and(|a| !a.is_empty() && !a.starts_with("mxc://")) {
        return Err(ApiError::BadJson("avatar_url must be an mxc:// URI".into()));
    }
    Ok(())
}

async fn create(state: &AppState, actor: &str, request: &api::Request) -> ApiResult<()> {
    let user_id = &request.user_id;
    let is_admin = request.admin.unwrap_or(false);
    let displayname = request.displayname.as_deref();
    state.create_account(actor, user_id.localpart(), request.password.as_deref(), is_admin, displayname).await?;
    if let Some(avatar_url) = request.avatar_url.as_deref().filter(|url| !url.is_empty()) {
        state.set_avatar_url(user_id, Some(avatar_url)).await?;
        state.record_admin_action(actor, "user.set_avatar_url", user_id);
    }
    if request.locked == Some(true) {
        state.set_locked(actor, user_id, true)?;
    }
    if request.deactivated == Some(true) {
        state.deactivate_account(actor, user_id, false).await?;
    }
    Ok(())
}

/// Applies the changes to an existing account. Everything that can be refused outright is
/// checked before anything changes, and the password (which the policy may refuse) goes
/// first, so that a refused request changes nothing.
async fn modify(
    state: &AppState,
    actor: &str,
    admin: &UserId,
    request: &api::Request,
    existing: &UserRecord,
) -> ApiResult<()> {
    let user_id = &request.user_id;
    let deactivated = existing.status == AccountStatus::Deactivated;
    let new_displayname =
        request.displayname.as_deref().filter(|d| Some(*d) != existing.displayname.as_deref().or(Some("")));
    let new_avatar = request.avatar_url.as_deref().filter(|a| Some(*a) != existing.avatar_url.as_deref().or(Some("")));
    let new_admin = request.admin.filter(|a| *a != existing.is_admin);
    let new_locked = request.locked.filter(|l| *l != existing.locked);
    if deactivated && request.deactivated == Some(false) {
        return Err(ApiError::Specific {
            status: StatusCode::BAD_REQUEST,
            errcode: "M_UNKNOWN",
            message: "reactivating a deactivated account is not supported".into(),
        });
    }
    let changes_profile = new_displayname.is_some() || new_avatar.is_some() || request.password.is_some();
    if deactivated && (changes_profile || new_admin.is_some() || new_locked.is_some()) {
        return Err(CoreError::BadState("the account is deactivated".into()).into());
    }
    if new_admin == Some(false) && user_id == admin {
        return Err(ApiError::Specific {
            status: StatusCode::BAD_REQUEST,
            errcode: "M_UNKNOWN",
            message: "You may not demote yourself.".into(),
        });
    }

    if let Some(password) = request.password.as_deref() {
        state.reset_password(actor, user_id, password, request.logout_devices.unwrap_or(true))?;
    }
    if let Some(displayname) = new_displayname {
        state.set_displayname(user_id, Some(displayname).filter(|d| !d.is_empty())).await?;
        state.record_admin_action(actor, "user.set_displayname", user_id);
    }
    if let Some(avatar_url) = new_avatar {
        state.set_avatar_url(user_id, Some(avatar_url)).await?;
        state.record_admin_action(actor, "user.set_avatar_url", user_id);
    }
    if let Some(is_admin) = new_admin {
        state.set_admin(actor, user_id, is_admin)?;
    }
    if request.deactivated == Some(true) && !deactivated {
        state.deactivate_account(actor, user_id, false).await?;
    }
    if let Some(locked) = new_locked {
        state.set_locked(actor, user_id, locked)?;
    }
    Ok(())
}
