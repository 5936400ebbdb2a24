//! `GET /_synapse/admin/v2/users/{userId}/devices`: every device of an account.

use rempart_http::{ApiResult, AppState, Ruma};

use super::DeviceInfo;
use crate::{require_admin, users::local_user, users::uint};

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedUserId, UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use crate::users::devices::DeviceInfo;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users/{user_id}/devices",
        }
    }

    /// List one account's devices.
    #[request]
    pub struct Request {
        /// The account.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
    }

    /// The devices.
    #[response]
    pub struct Response {
        /// The devices.
        pub devices: Vec<DeviceInfo>,
        /// How many.
        pub total: UInt,
    }
}

pub(crate) async fn list_devices(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    local_user(&state, &request.user_id)?;
    let devices: Vec<DeviceInfo> = state.devices(&request.user_id)?.into_iter().map(DeviceInfo::from).collect();
    state.record_admin_action(admin.user_id.as_str(), "user.read_devices", &request.user_id);
    Ok(api::Response { total: uint(devices.len() as u64), devices })
}
