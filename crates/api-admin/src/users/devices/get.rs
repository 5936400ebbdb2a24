//! `GET /_synapse/admin/v2/users/{userId}/devices/{deviceId}`: one device of an account.

use rempart_http::{ApiResult, AppState, Ruma};

use crate::{require_admin, users::local_user};

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedDeviceId, OwnedUserId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use crate::users::devices::DeviceInfo;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}/devices/{device_id}",
        }
    }

    /// Show one device.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
        /// The device.
        #[ruma_api(path)]
        pub device_id: OwnedDeviceId,
    }

    /// The device.
    #[response]
    pub struct Response {
        /// The device, as the body.
        #[ruma_api(body)]
        pub device: DeviceInfo,
    }
}

pub(crate) async fn get_device(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    let device = state.device(&request.user_id, &request.device_id)?;
    state.record_admin_action(admin.user_id.as_str(), "user.read_devices", &request.user_id);
    Ok(api::Response { device: device.into() })
}
