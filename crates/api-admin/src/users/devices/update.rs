//! `PUT /_synapse/admin/v2/users/{userId}/devices/{deviceId}`: renames a device of an account.

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
        method: PUT,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}/devices/{device_id}",
        }
    }

    /// Rename one device.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// The device.
        #[ruma_api(path)]
        pub device_id: OwnedDeviceId,
        /// The new name; absent leaves it unchanged.
        pub display_name: Option<String>,
    }

    /// Empty.
    #[response]
    #[derive(Default)]
    pub struct Response {}
}

pub(crate) async fn update_device(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    state.rename_device(&request.user_id, &request.device_id, request.display_name.as_deref())?;
    if request.display_name.is_some() {
        state.record_admin_action(admin.user_id.as_str(), "user.rename_device", &request.user_id);
    }
    Ok(api::Response {})
}
