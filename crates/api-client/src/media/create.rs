//! `POST /_matrix/media/v1/create`: reserves a media id for an asynchronous upload.

use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::{MilliSecondsSinceUnixEpoch, OwnedMxcUri, UInt, api::client::media::create_mxc_uri::v1};

pub(crate) async fn create(state: AppState, request: Ruma<v1::Request>) -> ApiResult<v1::Response> {
    let identity = request.identity()?;
    let (uri, expires) = state.media.reserve(identity)?;
    let mut response = v1::Response::new(OwnedMxcUri::from(uri));
    response.unused_expires_at = UInt::try_from(expires)
        .map(MilliSecondsSinceUnixEpoch)
        .map(Some)
        .map_err(|_| ApiError::InvalidParam("expiry out of range".into()))?;
    Ok(response)
}
