//! What can go wrong in a service, in Matrix terms but without HTTP: the HTTP edge maps each
//! variant to a status code and `errcode` exactly once.

use rempart_state::StateError;
use rempart_storage::StorageError;

/// A service-level failure.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The caller may not do this (`M_FORBIDDEN`).
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist or the caller may not know it does (`M_NOT_FOUND`).
    #[error("{0}")]
    NotFound(String),
    /// A parameter is malformed (`M_INVALID_PARAM`).
    #[error("{0}")]
    InvalidParam(String),
    /// The body has the wrong shape (`M_BAD_JSON`).
    #[error("{0}")]
    BadJson(String),
    /// Too large (`M_TOO_LARGE`).
    #[error("{0}")]
    TooLarge(String),
    /// The user id is taken (`M_USER_IN_USE`).
    #[error("user id already taken")]
    UserInUse,
    /// The user id is not acceptable (`M_INVALID_USERNAME`).
    #[error("{0}")]
    InvalidUsername(String),
    /// The alias is taken (`M_ROOM_IN_USE`).
    #[error("room alias already taken")]
    RoomInUse,
    /// The password does not meet the policy (`M_WEAK_PASSWORD`).
    #[error("{0}")]
    WeakPassword(String),
    /// The room version is not supported (`M_UNSUPPORTED_ROOM_VERSION`).
    #[error("{0}")]
    UnsupportedRoomVersion(String),
    /// The token is unknown or expired (`M_UNKNOWN_TOKEN`).
    #[error("unknown or expired access token")]
    UnknownToken,
    /// The account is locked (`M_USER_LOCKED`, soft logout).
    #[error("this account has been locked")]
    UserLocked,
    /// The account is suspended (`M_USER_SUSPENDED`).
    #[error("this account is suspended and cannot make changes")]
    UserSuspended,
    /// The client must complete user-interactive authentication; carries the UIA body.
    #[error("additional authentication is required")]
    UiaRequired(serde_json::Value),
    /// The event would break the room's rules in a way that is not about permission
    /// (`M_BAD_STATE`), e.g. an unbanning of someone not banned.
    #[error("{0}")]
    BadState(String),
    /// Registration token unknown (`M_FORBIDDEN`-class but distinct for clarity).
    #[error("{0}")]
    Unrecognized(String),
    /// Too many requests (`M_LIMIT_EXCEEDED`).
    #[error("too many requests")]
    LimitExceeded {
        /// When to retry.
        retry_after_ms: u64,
    },
    /// Keys were uploaded to a backup version that is not the current one
    /// (`M_WRONG_ROOM_KEYS_VERSION`).
    #[error("keys can only be uploaded to the current backup version")]
    WrongRoomKeysVersion {
        /// The current version, which the client should use.
        current_version: String,
    },
    /// A file reserved for an asynchronous upload has no content yet.
    #[error("the file has not been uploaded yet")]
    NotYetUploaded,
    /// An asynchronous upload to a media id that already has content.
    #[error("this media id already has content")]
    CannotOverwriteMedia,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Something that should not happen; logged, reported as `M_UNKNOWN` 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StateError> for CoreError {
    fn from(error: StateError) -> Self {
        match error {
            StateError::UnsupportedVersion(v) => {
                Self::UnsupportedRoomVersion(format!("room version {v} is not supported"))
            }
            StateError::Forbidden(reason) => Self::Forbidden(format!("the room's rules refuse this event: {reason}")),
            StateError::TooLarge => Self::TooLarge("event is larger than 65536 bytes".into()),
            StateError::Invalid(reason) => Self::BadJson(reason),
        }
    }
}

/// Result alias for services.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
