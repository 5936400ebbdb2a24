//! `GET /_matrix/client/v3/devices`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::device::get_devices::v3::{Request, Response};

use super::to_device;

pub(crate) async fn get_devices(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    Ok(Response::new(state.devices(&identity.user_id)?.into_iter().map(to_device).collect()))
}
