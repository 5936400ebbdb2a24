//! `GET /_matrix/client/v1/media/config` (and the deprecated `/_matrix/media/v3/config`): the
//! largest upload accepted.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    UInt,
    api::client::{authenticated_media::get_media_config, media::get_media_config as legacy},
};

fn max_upload(state: &AppState) -> UInt {
    UInt::try_from(state.media.max_upload_bytes()).unwrap_or(UInt::MAX)
}

pub(crate) async fn config(
    state: AppState,
    _request: Ruma<get_media_config::v1::Request>,
) -> ApiResult<get_media_config::v1::Response> {
    Ok(get_media_config::v1::Response::new(max_upload(&state)))
}

// The legacy path is authenticated too: nothing but discovery is served anonymously.
#[allow(deprecated, reason = "clients that predate authenticated media still ask here")]
pub(crate) async fn legacy_config(
    state: AppState,
    request: Ruma<legacy::v3::Request>,
) -> ApiResult<legacy::v3::Response> {
    request.identity()?;
    Ok(legacy::v3::Response::new(max_upload(&state)))
}
