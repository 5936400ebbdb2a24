//! `DELETE /_matrix/client/v3/devices/{deviceId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::device::delete_device::v3::{Request, Response};

use crate::util::require_password;

pub(crate) async fn delete_device(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    // An unknown device is reported before asking for the password.
    state.device(&identity.user_id, &request.device_id)?;
    require_password(&state, identity, "delete_device", request.auth.as_ref())?;
    state.delete_devices(&identity.user_id, std::slice::from_ref(&request.device_id))?;
    Ok(Response::new())
}
