//! `PUT /_synapse/admin/v1/suspend/{userId}`: suspends an account (reads allowed, writes
//! refused with `M_USER_SUSPENDED`) or lifts the suspension.

use std::collections::BTreeMap;

use rempart_http::{ApiResult, AppState, Ruma};

use super::local_user;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use std::collections::BTreeMap;

    use ruma::{
        OwnedUserId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: PUT,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/suspend/{user_id}",
        }
    }

    /// Suspend or unsuspend one account.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// Whether it is to be suspended.
        pub suspend: bool,
    }

    /// Synapse's answer: `{"user_<user id>_suspended": <bool>}`.
    #[response]
    pub struct Response {
        /// The one entry.
        #[ruma_api(body)]
        pub body: BTreeMap<String, bool>,
    }
}

pub(crate) async fn suspend(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    state.set_suspended(admin.user_id.as_str(), &request.user_id, request.suspend)?;
    let key = format!("user_{}_suspended", request.user_id);
    Ok(api::Response { body: BTreeMap::from([(key, request.suspend)]) })
}
