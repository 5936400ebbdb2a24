//! Sans-I/O room logic: building, hashing and signing new events, checking them against the
//! authorization rules of their room version, and redacting them. Everything here works on
//! events already in memory; loading them is the caller's job.

mod build;
mod redact;
mod versions;

#[cfg(test)]
mod tests;

pub use build::{BuildContext, EventTemplate, StateMap, build_event, check_event_auth};
pub use redact::redact_pdu;
pub use versions::{SUPPORTED_VERSIONS, rules_for};

/// Why an event could not be built or was refused by the room's rules.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The room version is not one this server implements.
    #[error("room version {0} is not supported")]
    UnsupportedVersion(String),
    /// The authorization rules refuse the event; the message says which rule.
    #[error("{0}")]
    Forbidden(String),
    /// The event would be larger than the 65,536 bytes a PDU may have.
    #[error("event is larger than 65536 bytes")]
    TooLarge,
    /// The content does not have the shape its event type requires.
    #[error("invalid event: {0}")]
    Invalid(String),
}
