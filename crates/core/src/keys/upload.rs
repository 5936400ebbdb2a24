//! `/keys/upload`: a device publishes its identity keys and its one-time and fallback keys.
//! Everything is checked before anything is stored: device keys must name the caller's user
//! and device and be self-signed with the device's ed25519 key, and signed one-time and
//! fallback keys must carry a valid signature by that key.

use std::collections::{BTreeMap, BTreeSet};

use rempart_storage::{StorageError, keys::KeyUpload};
use ruma::{
    CanonicalJsonValue, OneTimeKeyAlgorithm, OwnedOneTimeKeyId,
    encryption::{DeviceKeys, OneTimeKey},
    serde::Raw,
};
use serde_json::Value;

use super::signed::{canonical_object, ed25519_key, stored_object, string_field, verify_signature};
use crate::{CoreError, Result, Services, accounts::Identity};

/// Most one-time plus fallback keys accepted in one upload (clients upload about fifty).
const MAX_KEYS_PER_UPLOAD: usize = 1_000;

/// Uploaded one-time or fallback keys, by key id.
pub type UploadedKeys = BTreeMap<OwnedOneTimeKeyId, Raw<OneTimeKey>>;

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::InvalidParam(message.into())
}

impl Services {
    /// Validates and stores a device's keys, returning its unclaimed one-time key counts per
    /// algorithm (`signed_curve25519` always present). New or changed device keys are announced
    /// to the user's contacts through the device-list stream.
    pub fn upload_keys(
        &self,
        identity: &Identity,
        device_keys: Option<&Raw<DeviceKeys>>,
        one_time_keys: &UploadedKeys,
        fallback_keys: &UploadedKeys,
    ) -> Result<BTreeMap<String, u64>> {
        if one_time_keys.len() + fallback_keys.len() > MAX_KEYS_PER_UPLOAD {
            return Err(invalid(format!("at most {MAX_KEYS_PER_UPLOAD} one-time and fallback keys per upload")));
        }
        let algorithms: BTreeSet<_> = fallback_keys.keys().map(|id| id.algorithm()).collect();
        if algorithms.len() != fallback_keys.len() {
            return Err(invalid("at most one fallback key per algorithm"));
        }
        let device_keys = device_keys.map(|raw| self.check_device_keys(identity, raw)).transpose()?;
        // Signed keys are checked against the device's ed25519 key: the one uploaded now, or the
        // one stored earlier.
        let signing_key = match &device_keys {
            Some((_, key)) => Some(key.clone()),
            None => {
                let stored = self.store.device_keys(&identity.user_id, &identity.device_id)?;
                let stored = stored.as_ref().and_then(stored_object);
                stored.as_ref().and_then(|o| ed25519_key(o, identity.device_id.as_str())).map(str::to_owned)
            }
        };
        let signing_key = signing_key.as_deref();
        let check = |keys: &UploadedKeys, what: &str| -> Result<Vec<(String, Value)>> {
            keys.iter().map(|(id, raw)| self.check_one_time_key(identity, signing_key, id, raw, what)).collect()
        };
        let upload = KeyUpload {
            device_keys: device_keys.map(|(value, _)| value),
            one_time_keys: check(one_time_keys, "one-time key")?,
            fallback_keys: check(fallback_keys, "fallback key")?,
        };
        let outcome = match self.store.upload_keys(&identity.user_id, &identity.device_id, &upload) {
            Err(StorageError::Conflict(message)) => return Err(invalid(message)),
            other => other?,
        };
        if outcome.device_list_changed {
            self.notifier.notify();
        }
        let mut counts = outcome.one_time_key_counts;
        counts.entry(OneTimeKeyAlgorithm::SignedCurve25519.to_string()).or_insert(0);
        Ok(counts)
    }

    /// Checks uploaded device keys; returns them as JSON with their ed25519 key.
    fn check_device_keys(&self, identity: &Identity, raw: &Raw<DeviceKeys>) -> Result<(Value, String)> {
        let object = canonical_object(raw.json().get(), "device_keys").map_err(invalid)?;
        let parsed: DeviceKeys = raw.deserialize().map_err(|e| invalid(format!("device_keys is malformed: {e}")))?;
        if parsed.user_id != identity.user_id {
            return Err(invalid(format!(
                "device_keys.user_id is {}, but these keys can only be uploaded for {}",
                parsed.user_id, identity.user_id
            )));
        }
        if parsed.device_id != identity.device_id {
            return Err(invalid(format!(
                "device_keys.device_id is {}, but the access token belongs to device {}",
                parsed.device_id, identity.device_id
            )));
        }
        let device = identity.device_id.as_str();
        let key = ed25519_key(&object, device)
            .ok_or_else(|| invalid(format!("device_keys.keys has no ed25519:{device} key")))?
            .to_owned();
        verify_signature(&object, &identity.user_id, device, &key)
            .map_err(|e| invalid(format!("device_keys must be signed by the device's own ed25519 key: {e}")))?;
        Ok((CanonicalJsonValue::Object(object).into(), key))
    }

    /// Checks one uploaded one-time or fallback key.
    fn check_one_time_key(
        &self,
        identity: &Identity,
        signing_key: Option<&str>,
        id: &OwnedOneTimeKeyId,
        raw: &Raw<OneTimeKey>,
        what: &str,
    ) -> Result<(String, Value)> {
        let value: CanonicalJsonValue = serde_json::from_str(raw.json().get())
            .map_err(|e| invalid(format!("{what} {id} is not valid canonical JSON: {e}")))?;
        let signed = match &value {
            CanonicalJsonValue::Object(object) => {
                if string_field(object, "key").is_none() {
                    return Err(invalid(format!("{what} {id} has no \"key\" string")));
                }
                Some(object)
            }
            CanonicalJsonValue::String(_) => None,
            _ => return Err(invalid(format!("{what} {id} must be a string or an object"))),
        };
        let must_be_signed = id.algorithm() == OneTimeKeyAlgorithm::SignedCurve25519;
        match (signed, must_be_signed) {
            (None, true) => return Err(invalid(format!("{what} {id} must be a signed key object"))),
            (Some(object), true) => {
                let signing_key = signing_key
                    .ok_or_else(|| invalid(format!("{what} {id} cannot be checked: upload the device keys first")))?;
                verify_signature(object, &identity.user_id, identity.device_id.as_str(), signing_key)
                    .map_err(|e| invalid(format!("{what} {id} must be signed by the device's ed25519 key: {e}")))?;
            }
            _ => {}
        }
        Ok((id.to_string(), value.into()))
    }
}
