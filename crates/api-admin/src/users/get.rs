//! `GET /_synapse/admin/v2/users/{userId}`: one account's details.

use rempart_http::{ApiResult, AppState, Ruma};

use super::{local_user, user_details};
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedUserId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use crate::users::UserDetails;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}",
        }
    }

    /// Query one account.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
    }

    /// The account's details.
    #[response]
    pub struct Response {
        /// The details, as the body.
        #[ruma_api(body)]
        pub details: UserDetails,
    }
}

pub(crate) async fn get_user(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let user = local_user(&state, &request.user_id)?;
    state.record_admin_action(admin.user_id.as_str(), "user.read", &request.user_id);
    Ok(api::Response { details: user_details(&state, user)? })
}
