//! `POST /_matrix/client/v3/delete_devices`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::device::delete_devices::v3::{Request, Response};

use crate::util::require_password;

pub(crate) async fn delete_devices(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    require_password(&state, identity, "delete_devices", request.auth.as_ref())?;
    state.delete_devices(&identity.user_id, &request.devices)?;
    Ok(Response::new())
}
