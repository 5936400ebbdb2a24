//! `PUT /_matrix/client/v3/devices/{deviceId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::device::update_device::v3::{Request, Response};

pub(crate) async fn update_device(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    state.rename_device(&identity.user_id, &request.device_id, request.display_name.as_deref())?;
    Ok(Response::new())
}
