//! `POST /_synapse/admin/v1/reset_password/{userId}`: sets an account's password (subject to
//! the password policy), ending every session unless told otherwise.

use rempart_http::{ApiError, ApiResult, AppState, Ruma};

use super::local_user;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedUserId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: POST,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/reset_password/{user_id}",
        }
    }

    /// Reset one account's password.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// The new password.
        pub new_password: String,
        /// End every session of the account (default true).
        pub logout_devices: Option<bool>,
    }

    /// Empty.
    #[response]
    #[derive(Default)]
    pub struct Response {}
}

pub(crate) async fn reset_password(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    if request.new_password.len() > 512 {
        return Err(ApiError::InvalidParam("the password is longer than 512 bytes".into()));
    }
    let logout_devices = request.logout_devices.unwrap_or(true);
    state.reset_password(admin.user_id.as_str(), &request.user_id, &request.new_password, logout_devices)?;
    Ok(api::Response {})
}
