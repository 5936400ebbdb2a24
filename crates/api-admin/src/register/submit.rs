//! `POST /_synapse/admin/v1/register`: creates an account (an admin if asked) and logs it in,
//! when the MAC over the nonce, user name, password and admin flag is right.

use rempart_core::shared_secret::SharedSecretRequest;
use rempart_http::{ApiError, ApiResult, AppState, Ruma};

use super::api_error;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedDeviceId, OwnedServerName, OwnedUserId,
        api::{auth_scheme::NoAuthentication, request, response},
        metadata,
    };

    metadata! {
        method: POST,
        rate_limited: true,
        authentication: NoAuthentication,
        history: {
            unstable => "/_synapse/admin/v1/register",
        }
    }

    /// Register an account.
    #[request]
    pub struct Request {
        /// A nonce from `GET` on the same path.
        pub nonce: String,
        /// The local part of the account (lower-cased).
        pub username: String,
        /// Its display name (the local part when absent).
        pub displayname: Option<String>,
        /// Its password, subject to the password policy.
        pub password: String,
        /// Whether it is a server admin (default false).
        #[serde(default)]
        pub admin: bool,
        /// Not supported: only null is accepted.
        pub user_type: Option<String>,
        /// Hex HMAC-SHA1 of `nonce\0username\0password\0admin|notadmin`.
        pub mac: String,
    }

    /// The new account's session.
    #[response]
    pub struct Response {
        /// Its access token.
        pub access_token: String,
        /// Its user id.
        pub user_id: OwnedUserId,
        /// This server.
        pub home_server: OwnedServerName,
        /// The new device.
        pub device_id: OwnedDeviceId,
    }
}

pub(crate) async fn submit(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    if request.user_type.is_some() {
        return Err(ApiError::InvalidParam("user types are not supported".into()));
    }
    let registration = SharedSecretRequest {
        nonce: &request.nonce,
        username: &request.username,
        password: &request.password,
        admin: request.admin,
        displayname: request.displayname.as_deref(),
        mac: &request.mac,
    };
    let session = state.register_with_shared_secret(&registration, request.ip.as_deref()).await.map_err(api_error)?;
    Ok(api::Response {
        access_token: session.access_token,
        user_id: session.user_id,
        home_server: state.config.server_name.clone(),
        device_id: session.device_id,
    })
}
