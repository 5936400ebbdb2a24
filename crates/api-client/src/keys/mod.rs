//! End-to-end encryption keys: device, one-time and fallback keys (`/keys/upload`,
//! `/keys/query`, `/keys/claim`, `/keys/changes`) and cross-signing
//! (`/keys/device_signing/upload`, `/keys/signatures/upload`). The checks live in
//! `rempart_core::keys`.

mod claim_keys;
mod get_key_changes;
mod get_keys;
mod upload_keys;
mod upload_signatures;
mod upload_signing_keys;

use axum::Router;
use axum::http::StatusCode;
use rempart_core::{CoreError, keys::SigningKeyError};
use rempart_http::{ApiError, AppState, RouterExt};
use ruma::serde::Raw;
use serde_json::Value;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(upload_keys::upload_keys)
        .ruma_route(get_keys::get_keys)
        .ruma_route(claim_keys::claim_keys)
        .ruma_route(get_key_changes::get_key_changes)
        .ruma_route(upload_signing_keys::upload_signing_keys)
        .ruma_route(upload_signatures::upload_signatures)
}

/// Wraps stored key JSON for a typed response.
fn raw<T>(value: &Value) -> Result<Raw<T>, ApiError> {
    serde_json::value::to_raw_value(value)
        .map(Raw::from_json)
        .map_err(|e| CoreError::Internal(format!("serialising key JSON: {e}")).into())
}

/// Maps a refused cross-signing upload to the errors the spec lists for it.
fn signing_key_error(error: SigningKeyError) -> ApiError {
    let specific = |errcode, message| ApiError::Specific { status: StatusCode::BAD_REQUEST, errcode, message };
    match error {
        SigningKeyError::InvalidSignature(message) => specific("M_INVALID_SIGNATURE", message),
        SigningKeyError::MissingParam(message) => specific("M_MISSING_PARAM", message),
        SigningKeyError::Core(error) => error.into(),
    }
}
