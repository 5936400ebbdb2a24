//! The platform's encryption policy for rooms, enforced on every state change: private rooms
//! are encrypted, encryption never goes away or changes to an unknown algorithm, and open
//! forums (join rule `public`) stay readable by the platform unless the operator allows
//! otherwise.

use rempart_state::EventTemplate;
use ruma::events::{StateEventType, TimelineEventType};
use serde_json::Value;

use crate::{CoreError, Result};

/// The only room encryption algorithm clients implement.
pub const MEGOLM: &str = "m.megolm.v1.aes-sha2";

/// The room's current encryption and join rule, as far as the policy needs them.
#[derive(Debug, Clone, Default)]
pub struct PolicyState {
    /// The current `m.room.encryption` algorithm, if the room is encrypted.
    pub algorithm: Option<String>,
    /// The current join rule.
    pub join_rule: Option<String>,
}

impl PolicyState {
    /// Reads the policy's inputs through `content_of`, which gives the content of a state event
    /// of the given type and empty state key (from the database or from a room being built).
    pub fn read(content_of: impl Fn(StateEventType) -> Result<Option<Value>>) -> Result<Self> {
        let field = |kind, name: &str| -> Result<Option<String>> {
            Ok(content_of(kind)?.and_then(|content| content.get(name).and_then(Value::as_str).map(ToOwned::to_owned)))
        };
        Ok(Self {
            algorithm: field(StateEventType::RoomEncryption, "algorithm")?,
            join_rule: field(StateEventType::RoomJoinRules, "join_rule")?,
        })
    }
}

/// Checks a state change against the policy. `allow_public` is the operator's
/// `allow_in_public_rooms`.
pub fn check(template: &EventTemplate, room: &PolicyState, allow_public: bool) -> Result<()> {
    if template.state_key.as_deref() != Some("") {
        return Ok(());
    }
    let field = |name: &str| template.content.get(name).and_then(Value::as_str).map(ToOwned::to_owned);
    if template.kind == TimelineEventType::RoomEncryption {
        let algorithm = field("algorithm");
        if algorithm.as_deref() != Some(MEGOLM) {
            return Err(CoreError::Forbidden(format!(
                "unsupported encryption algorithm {}; only {MEGOLM} is allowed",
                algorithm.as_deref().unwrap_or("(none)")
            )));
        }
        if let Some(current) = &room.algorithm
            && algorithm.as_deref() != Some(current)
        {
            return Err(CoreError::Forbidden("the encryption of a room cannot be changed once it is on".into()));
        }
        if room.join_rule.as_deref() == Some("public") && !allow_public {
            return Err(CoreError::Forbidden(
                "public rooms are open forums readable by the whole platform and cannot be encrypted".into(),
            ));
        }
    }
    if template.kind == TimelineEventType::RoomJoinRules
        && field("join_rule").as_deref() == Some("public")
        && room.algorithm.is_some()
        && !allow_public
    {
        return Err(CoreError::Forbidden("an encrypted room cannot be made public".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn state(kind: &str, content: Value) -> EventTemplate {
        EventTemplate { kind: kind.into(), content, state_key: Some(String::new()), redacts: None }
    }

    #[test]
    fn encryption_rules() {
        let plain = PolicyState { algorithm: None, join_rule: Some("invite".into()) };
        let encrypted = PolicyState { algorithm: Some(MEGOLM.into()), join_rule: Some("invite".into()) };
        let forum = PolicyState { algorithm: None, join_rule: Some("public".into()) };
        let megolm = state("m.room.encryption", json!({ "algorithm": MEGOLM }));
        assert!(check(&megolm, &plain, false).is_ok());
        assert!(check(&megolm, &encrypted, false).is_ok(), "re-sending the same algorithm is fine");
        assert!(check(&state("m.room.encryption", json!({})), &encrypted, false).is_err(), "cannot be turned off");
        assert!(check(&state("m.room.encryption", json!({ "algorithm": "rot13" })), &plain, false).is_err());
        assert!(check(&megolm, &forum, false).is_err(), "forums stay readable");
        assert!(check(&megolm, &forum, true).is_ok(), "unless the operator allows it");
        let go_public = state("m.room.join_rules", json!({ "join_rule": "public" }));
        assert!(check(&go_public, &encrypted, false).is_err());
        assert!(check(&go_public, &plain, false).is_ok());
    }
}
