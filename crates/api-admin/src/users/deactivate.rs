//! `POST /_synapse/admin/v1/deactivate/{userId}`: deactivates an account for good (every
//! session ended, every room left, profile cleared), optionally erasing its data.

use rempart_http::{ApiResult, AppState, Ruma};

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
            unstable => "/_synapse/admin/v1/deactivate/{user_id}",
        }
    }

    /// Deactivate one account.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// Also delete its account data and uploaded files (default false).
        #[serde(default)]
        pub erase: bool,
    }

    /// Synapse's answer; Rempart binds no third-party ids, so there is never anything to
    /// unbind.
    #[response]
    pub struct Response {
        /// Always `success`.
        pub id_server_unbind_result: String,
    }
}

pub(crate) async fn deactivate(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    state.deactivate_account(admin.user_id.as_str(), &request.user_id, request.erase).await?;
    Ok(api::Response { id_server_unbind_result: "success".into() })
}
