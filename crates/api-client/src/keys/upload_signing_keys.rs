//! `POST /_matrix/client/v3/keys/device_signing/upload`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::keys::upload_signing_keys::v3::{Request, Response};

use super::signing_key_error;
use crate::util::require_password;

pub(crate) async fn upload_signing_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let upload = state
        .check_cross_signing_upload(
            identity,
            request.master_key.as_ref(),
            request.self_signing_key.as_ref(),
            request.user_signing_key.as_ref(),
        )
        .map_err(signing_key_error)?;
    // The first upload, and repeating the stored keys, need no authentication; replacing keys
    // does.
    if !state.store_cross_signing_keys(identity, &upload, false)? {
        require_password(&state, identity, "device_signing_upload", request.auth.as_ref())?;
        state.store_cross_signing_keys(identity, &upload, true)?;
    }
    Ok(Response::new())
}
