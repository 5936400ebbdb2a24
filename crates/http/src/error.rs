//! Mapping every failure to a Matrix error: status code, `errcode` and message, in one place.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use rempart_core::CoreError;
use serde_json::json;

/// An error as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A service error.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The body is not JSON.
    #[error("request body is not valid JSON")]
    NotJson,
    /// The JSON does not have the expected shape.
    #[error("{0}")]
    BadJson(String),
    /// A path or query parameter is malformed.
    #[error("{0}")]
    InvalidParam(String),
    /// No access token was given.
    #[error("missing access token")]
    MissingToken,
    /// The request body exceeds the configured limit.
    #[error("request body too large")]
    TooLarge,
    /// No such endpoint.
    #[error("unrecognized request")]
    Unrecognized,
    /// The endpoint exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A required parameter is absent.
    #[error("{0}")]
    MissingParam(String),
    /// An error whose status and errcode pairing is specific to one endpoint (the spec answers
    /// attempts to set server-managed account data with 405 `M_BAD_JSON`, for one).
    #[error("{message}")]
    Specific {
        /// HTTP status.
        status: StatusCode,
        /// Matrix error code.
        errcode: &'static str,
        /// Human-readable message.
        message: String,
    },
}

impl From<rempart_storage::StorageError> for ApiError {
    fn from(error: rempart_storage::StorageError) -> Self {
        Self::Core(CoreError::Storage(error))
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// Status, errcode and extra fields for this error.
    fn parts(&self) -> (StatusCode, &'static str, serde_json::Value) {
        use CoreError as C;
        let none = serde_json::Value::Null;
        match self {
            Self::NotJson => (StatusCode::BAD_REQUEST, "M_NOT_JSON", none),
            Self::BadJson(_) => (StatusCode::BAD_REQUEST, "M_BAD_JSON", none),
            Self::InvalidParam(_) => (StatusCode::BAD_REQUEST, "M_INVALID_PARAM", none),
            Self::MissingParam(_) => (StatusCode::BAD_REQUEST, "M_MISSING_PARAM", none),
            Self::MissingToken => (StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN", none),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE", none),
            Self::Unrecognized => (StatusCode::NOT_FOUND, "M_UNRECOGNIZED", none),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "M_UNRECOGNIZED", none),
            Self::Specific { status, errcode, .. } => (*status, errcode, none),
            Self::Core(core) => match core {
                C::Forbidden(_) => (StatusCode::FORBIDDEN, "M_FORBIDDEN", none),
                C::NotFound(_) => (StatusCode::NOT_FOUND, "M_NOT_FOUND", none),
                C::InvalidParam(_) => (StatusCode::BAD_REQUEST, "M_INVALID_PARAM", none),
                C::BadJson(_) => (StatusCode::BAD_REQUEST, "M_BAD_JSON", none),
                C::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE", none),
                C::UserInUse => (StatusCode::BAD_REQUEST, "M_USER_IN_USE", none),
                C::InvalidUsername(_) => (StatusCode::BAD_REQUEST, "M_INVALID_USERNAME", none),
                C::RoomInUse => (StatusCode::BAD_REQUEST, "M_ROOM_IN_USE", none),
                C::WeakPassword(_) => (StatusCode::BAD_REQUEST, "M_WEAK_PASSWORD", none),
                C::UnsupportedRoomVersion(_) => (StatusCode::BAD_REQUEST, "M_UNSUPPORTED_ROOM_VERSION", none),
                C::UnknownToken => (StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN", json!({ "soft_logout": false })),
                C::UserLocked => (StatusCode::UNAUTHORIZED, "M_USER_LOCKED", json!({ "soft_logout": true })),
                C::UserSuspended => (StatusCode::FORBIDDEN, "M_USER_SUSPENDED", none),
                C::UiaRequired(_) => (StatusCode::UNAUTHORIZED, "M_FORBIDDEN", none),
                C::BadState(_) => (StatusCode::BAD_REQUEST, "M_BAD_STATE", none),
                C::Unrecognized(_) => (StatusCode::BAD_REQUEST, "M_UNRECOGNIZED", none),
                C::LimitExceeded { retry_after_ms } => {
                    (StatusCode::TOO_MANY_REQUESTS, "M_LIMIT_EXCEEDED", json!({ "retry_after_ms": retry_after_ms }))
                }
                C::WrongRoomKeysVersion { current_version } => {
                    (StatusCode::FORBIDDEN, "M_WRONG_ROOM_KEYS_VERSION", json!({ "current_version": current_version }))
                }
                C::NotYetUploaded => (StatusCode::GATEWAY_TIMEOUT, "M_NOT_YET_UPLOADED", none),
                C::CannotOverwriteMedia => (StatusCode::CONFLICT, "M_CANNOT_OVERWRITE_MEDIA", none),
                C::Storage(_) | C::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "M_UNKNOWN", none),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Core(CoreError::UiaRequired(body)) = self {
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
        let (status, errcode, extra) = self.parts();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Internal details go to the log, not to the client.
            tracing::error!(error = %self, "internal error");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let mut body = json!({ "errcode": errcode, "error": message });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let mut response = (status, Json(body)).into_response();
        if let Self::Core(CoreError::LimitExceeded { retry_after_ms }) = self {
            let seconds = retry_after_ms.div_ceil(1000).to_string();
            if let Ok(value) = http::HeaderValue::from_str(&seconds) {
                response.headers_mut().insert(http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}
