//! Applying a redaction to a stored event.

use rempart_types::pdu::Pdu;
use ruma::{canonical_json::redact, room_version_rules::RoomVersionRules};

use crate::StateError;

/// Returns `pdu` stripped to what its room version keeps after redaction. Hashes and signatures
/// stay valid because they cover the redacted form.
pub fn redact_pdu(pdu: &Pdu, rules: &RoomVersionRules) -> Result<Pdu, StateError> {
    let json = redact(pdu.json.clone(), &rules.redaction, None).map_err(|e| StateError::Invalid(e.to_string()))?;
    Pdu::from_json(pdu.event_id.clone(), pdu.room_id.clone(), json).map_err(|e| StateError::Invalid(e.to_string()))
}
