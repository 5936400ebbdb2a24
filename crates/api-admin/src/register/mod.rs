//! Shared-secret registration, as Synapse offers it: `GET /_synapse/admin/v1/register` hands
//! out a nonce, `POST` to the same path creates an account when its HMAC, keyed with
//! `[registration] shared_secret`, is right. No access token is involved: the MAC is the proof.

mod nonce;
mod submit;

use axum::{Router, http::StatusCode};
use rempart_core::shared_secret::SharedSecretError;
use rempart_http::{ApiError, AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(nonce::nonce).ruma_route(submit::submit)
}

/// Synapse's answers: 400 `M_UNKNOWN` when the feature is off or the nonce is not one it
/// handed out, 403 `M_FORBIDDEN` for a wrong MAC.
fn api_error(error: SharedSecretError) -> ApiError {
    match error {
        SharedSecretError::Core(core) => core.into(),
        other => {
            let (status, errcode) = match other {
                SharedSecretError::BadMac => (StatusCode::FORBIDDEN, "M_FORBIDDEN"),
                _ => (StatusCode::BAD_REQUEST, "M_UNKNOWN"),
            };
            ApiError::Specific { status, errcode, message: other.to_string() }
        }
    }
}
