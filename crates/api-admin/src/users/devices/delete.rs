//! `DELETE /_synapse/admin/v2/users/{userId}/devices/{deviceId}`: deletes one device of an
//! account, ending its session. Deleting a device that does not exist succeeds, as in Synapse.

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
        method: DELETE,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}/devices/{device_id}",
        }
    }

    /// Delete one device.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// The device.
        #[ruma_api(path)]
        pub device_id: OwnedDeviceId,
    }

    /// Empty.
    #[response]
    #[derive(Default)]
    pub struct Response {}
}

pub(crate) async fn delete_device(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    state.delete_devices(&request.user_id, std::slice::from_ref(&request.device_id))?;
    state.record_admin_action(admin.user_id.as_str(), "user.delete_devices", &request.user_id);
    Ok(api::Response {})
}
