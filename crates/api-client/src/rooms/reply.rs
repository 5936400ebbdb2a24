//! Helpers for handlers registered as plain axum routes (paths ruma's metadata lacks, such as
//! the empty-state-key forms), and the endpoint-specific errors they return.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use rempart_http::{ApiError, ruma_response};
use ruma::api::OutgoingResponse;

/// Result of a plain-route handler.
pub(crate) type Outcome<T> = Result<T, ApiError>;

/// `400 M_BAD_ALIAS`.
pub(crate) fn bad_alias(message: String) -> ApiError {
    ApiError::Specific { status: StatusCode::BAD_REQUEST, errcode: "M_BAD_ALIAS", message }
}

/// Turns a handler's outcome into the HTTP response.
pub(crate) fn respond<R: OutgoingResponse>(outcome: Outcome<R>) -> Response {
    match outcome {
        Ok(response) => ruma_response(response),
        Err(error) => error.into_response(),
    }
}
