//! `POST /_matrix/client/v3/delete_devices`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::device::delete_devices::v3::{Request, Response};

use crate::util::uia_submission;

pub(crate) async fn delete_devices(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    state.uia.authorize(
        "delete_devices",
        uia_submission(request.auth.as_ref(), &state.config.server_name),
        &[&["m.login.password"]],
        Some(&identity.user_id),
        &state.accounts,
        &[],
    )?;
    state.delete_devices(&identity.user_id, &request.devices)?;
    Ok(Response::new())
}
