//! `POST /_synapse/admin/v2/users/{userId}/delete_devices`: deletes several devices of an
//! account at once, ending their sessions; ids that are not the account's are ignored.

use rempart_http::{ApiResult, AppState, Ruma};

use crate::{require_admin, users::local_user};

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedDeviceId, OwnedUserId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: POST,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}/delete_devices",
        }
    }

    /// Delete several devices.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// The devices.
        pub devices: Vec<OwnedDeviceId>,
    }

    /// Empty.
    #[response]
    #[derive(Default)]
    pub struct Response {}
}

pub(crate) async fn delete_devices(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    state.delete_devices(&request.user_id, &request.devices)?;
    state.record_admin_action(admin.user_id.as_str(), "user.delete_devices", &request.user_id);
    Ok(api::Response {})
}
