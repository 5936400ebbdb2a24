//! The unauthenticated `/_matrix/media/{r0,v3}/download` and `/thumbnail` paths, frozen by the
//! spec since v1.11: they serve nothing here, to anyone, so that a media id alone never yields
//! a file.

use rempart_http::ApiError;

pub(crate) async fn not_served() -> ApiError {
    ApiError::Core(rempart_core::CoreError::NotFound(
        "media is only served through the authenticated /_matrix/client/v1/media endpoints".into(),
    ))
}
