//! `GET /_matrix/client/v3/devices/{deviceId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::device::get_device::v3::{Request, Response};

use super::to_device;

pub(crate) async fn get_device(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    Ok(Response::new(to_device(state.device(&identity.user_id, &request.device_id)?)))
}
