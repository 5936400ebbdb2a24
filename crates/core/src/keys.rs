//! End-to-end encryption key management: device keys, one-time and fallback keys, cross-signing,
//! and which users' device lists changed for sync.
//!
//! Uploads are checked in [`upload`] and [`cross_signing`]; this file answers queries, claims
//! and the device-list questions of sync and `/keys/changes`. The server never holds a private
//! key: it checks signatures on what clients publish and hands it out.

mod cross_signing;
mod signed;
mod upload;

use std::collections::BTreeMap;

pub use cross_signing::{CrossSigningUpload, SignatureFailure, SigningKeyError};
use rempart_storage::keys::{KeyClaim, KeySignature, UserKeys};
use ruma::{DeviceId, OneTimeKeyAlgorithm, OwnedDeviceId, OwnedUserId, UserId};
use serde_json::{Value, json};
pub use upload::UploadedKeys;

use crate::{CoreError, Result, Services, sync::StreamToken};

/// What `/keys/query` returns.
#[derive(Debug, Clone, Default)]
pub struct KeysQuery {
    /// Device keys per user and device, with uploaded signatures merged in.
    pub device_keys: BTreeMap<OwnedUserId, BTreeMap<OwnedDeviceId, Value>>,
    /// Master keys.
    pub master_keys: BTreeMap<OwnedUserId, Value>,
    /// Self-signing keys.
    pub self_signing_keys: BTreeMap<OwnedUserId, Value>,
    /// The requester's own user-signing key.
    pub user_signing_keys: BTreeMap<OwnedUserId, Value>,
    /// Servers that could not be reached, by server name.
    pub failures: BTreeMap<String, Value>,
}

/// What `/keys/claim` returns.
#[derive(Debug, Clone, Default)]
pub struct KeysClaim {
    /// One key per user, device and `algorithm:name`.
    pub one_time_keys: BTreeMap<OwnedUserId, BTreeMap<OwnedDeviceId, BTreeMap<String, Value>>>,
    /// Servers that could not be reached, by server name.
    pub failures: BTreeMap<String, Value>,
}

/// The `failures` entry for a server this shard cannot ask yet.
fn unreachable_server() -> Value {
    json!({ "status": 503, "message": "federation with this server is not available" })
}

/// Merges the uploaded signatures on `target` that `requester` may see into a key object: the
/// owner's own, and the requester's (a user's signatures on other people's keys are private to
/// them).
fn with_signatures(mut key: Value, keys: &UserKeys, owner: &UserId, requester: &UserId, target: &str) -> Value {
    let visible =
        |s: &&KeySignature| s.target_key_id == target && (s.signer_user_id == owner || s.signer_user_id == requester);
    for s in keys.signatures.iter().filter(visible) {
        signed::add_signature(&mut key, s.signer_user_id.as_str(), &s.signer_key_id, &s.signature);
    }
    key
}

impl Services {
    fn is_local(&self, user_id: &UserId) -> bool {
        user_id.server_name() == self.config.server_name
    }

    /// `(changed, left)` for sync's `device_lists` between two stream positions.
    pub fn device_list_changes(
        &self,
        user_id: &UserId,
        since: i64,
        until: i64,
    ) -> Result<(Vec<OwnedUserId>, Vec<OwnedUserId>)> {
        let changes = self.store.device_list_changes(user_id, since, until)?;
        Ok((changes.changed, changes.left))
    }

    /// `/keys/changes`: device-list news between two tokens (sync tokens or stream positions).
    pub fn key_changes(&self, user_id: &UserId, from: &str, to: &str) -> Result<(Vec<OwnedUserId>, Vec<OwnedUserId>)> {
        let parse = |token: &str, name: &str| {
            StreamToken::parse(token).ok_or_else(|| CoreError::InvalidParam(format!("invalid {name} token {token:?}")))
        };
        let (from, to) = (parse(from, "from")?, parse(to, "to")?);
        let until = to.stream.min(self.store.max_stream()?);
        self.device_list_changes(user_id, from.stream, until)
    }

    /// Unclaimed one-time keys of a device, per algorithm.
    pub fn one_time_key_counts(&self, user_id: &UserId, device_id: &DeviceId) -> Result<BTreeMap<String, u64>> {
        Ok(self.store.one_time_key_counts(user_id, device_id)?)
    }

    /// Algorithms for which the device has an unused fallback key.
    pub fn unused_fallback_key_types(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Vec<String>> {
        Ok(self.store.unused_fallback_key_algorithms(user_id, device_id)?)
    }

    /// `/keys/query`: device and cross-signing keys of the wanted users (an empty device list
    /// means every device). Users of other servers are reported under `failures`.
    pub fn query_keys(
        &self,
        requester: &UserId,
        wanted: &BTreeMap<OwnedUserId, Vec<OwnedDeviceId>>,
    ) -> Result<KeysQuery> {
        let mut result = KeysQuery::default();
        let (local, remote): (Vec<&OwnedUserId>, Vec<&OwnedUserId>) = wanted.keys().partition(|u| self.is_local(u));
        for user_id in remote {
            result.failures.insert(user_id.server_name().to_string(), unreachable_server());
        }
        let local: Vec<OwnedUserId> = local.into_iter().cloned().collect();
        for (user_id, keys) in self.store.query_keys(&local)? {
            let devices = wanted.get(&user_id).map_or(&[][..], Vec::as_slice);
            let mut found = BTreeMap::new();
            for device in keys.devices.iter().filter(|d| devices.is_empty() || devices.contains(&d.device_id)) {
                let mut key =
                    with_signatures(device.keys.clone(), &keys, &user_id, requester, device.device_id.as_str());
                if let (Some(name), Some(object)) = (&device.display_name, key.as_object_mut()) {
                    let unsigned = object.entry("unsigned").or_insert_with(|| json!({}));
                    if let Some(unsigned) = unsigned.as_object_mut() {
                        unsigned.insert("device_display_name".into(), name.clone().into());
                    }
                }
                found.insert(device.device_id.clone(), key);
            }
            let cross_signing = [
                (&keys.cross_signing.master, &mut result.master_keys),
                (&keys.cross_signing.self_signing, &mut result.self_signing_keys),
            ];
            for (key, out) in cross_signing {
                if let Some(key) = key {
                    out.insert(
                        user_id.clone(),
                        with_signatures(key.json.clone(), &keys, &user_id, requester, &key.public_key),
                    );
                }
            }
            if let Some(key) = keys.cross_signing.user_signing.as_ref().filter(|_| user_id == requester) {
                result.user_signing_keys.insert(user_id.clone(), key.json.clone());
            }
            result.device_keys.insert(user_id, found);
        }
        Ok(result)
    }

    /// `/keys/claim`: one key per wanted device, atomically (a one-time key is never handed to
    /// two claimers); the device's fallback key when its one-time keys have run out.
    pub fn claim_keys(
        &self,
        wanted: &BTreeMap<OwnedUserId, BTreeMap<OwnedDeviceId, OneTimeKeyAlgorithm>>,
    ) -> Result<KeysClaim> {
        let mut result = KeysClaim::default();
        let mut claims = Vec::new();
        for (user_id, devices) in wanted {
            if !self.is_local(user_id) {
                result.failures.insert(user_id.server_name().to_string(), unreachable_server());
                continue;
            }
            claims.extend(devices.iter().map(|(device_id, algorithm)| KeyClaim {
                user_id: user_id.clone(),
                device_id: device_id.clone(),
                algorithm: algorithm.to_string(),
            }));
        }
        for claimed in self.store.claim_keys(&claims)? {
            let devices = result.one_time_keys.entry(claimed.user_id).or_default();
            devices.entry(claimed.device_id).or_default().insert(claimed.key_id, claimed.key);
        }
        Ok(result)
    }
}
