//! `POST /_matrix/client/v3/keys/upload`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    OneTimeKeyAlgorithm, UInt,
    api::client::keys::upload_keys::v3::{Request, Response},
};

pub(crate) async fn upload_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let counts =
        state.upload_keys(identity, request.device_keys.as_ref(), &request.one_time_keys, &request.fallback_keys)?;
    let counts = counts
        .into_iter()
        .map(|(algorithm, count)| (OneTimeKeyAlgorithm::from(algorithm), UInt::new_saturating(count)))
        .collect();
    Ok(Response::new(counts))
}
