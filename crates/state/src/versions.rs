//! Which room versions Rempart serves, and their rules.

use ruma::{RoomVersionId, room_version_rules::RoomVersionRules};

use crate::StateError;

/// Room versions this server creates and joins. Earlier versions are refused because their
/// rules predate canonical JSON and restricted joins.
pub const SUPPORTED_VERSIONS: [RoomVersionId; 3] = [RoomVersionId::V10, RoomVersionId::V11, RoomVersionId::V12];

/// The rules of a supported room version.
pub fn rules_for(version: &RoomVersionId) -> Result<RoomVersionRules, StateError> {
    if !SUPPORTED_VERSIONS.contains(version) {
        return Err(StateError::UnsupportedVersion(version.to_string()));
    }
    version.rules().ok_or_else(|| StateError::UnsupportedVersion(version.to_string()))
}
