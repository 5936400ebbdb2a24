//! End-to-end encryption keys: device keys, one-time and fallback keys, cross-signing keys and
//! signatures, and the device-list change stream.
//!
//! The store keeps key JSON as given: validating ids and signatures is the caller's job. Every
//! write that changes what `/keys/query` returns for a user records a device-list change at a
//! fresh position of the global stream, in the same transaction.

use std::collections::BTreeMap;

use ruma::{DeviceId, OwnedDeviceId, OwnedUserId, UserId};
use serde_json::Value;

use crate::Result;

/// What a device uploads to `/keys/upload`, already validated.
#[derive(Debug, Clone, Default)]
pub struct KeyUpload {
    /// The device's signed identity keys, when sent.
    pub device_keys: Option<Value>,
    /// One-time keys as `(algorithm:name, key)`.
    pub one_time_keys: Vec<(String, Value)>,
    /// Fallback keys as `(algorithm:name, key)`; at most one per algorithm is kept.
    pub fallback_keys: Vec<(String, Value)>,
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadOutcome {
    /// Unclaimed one-time keys of the device per algorithm, after the upload.
    pub one_time_key_counts: BTreeMap<String, u64>,
    /// The device keys were new or different, so a device-list change was recorded.
    pub device_list_changed: bool,
}

/// A device's identity keys as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceKeysRecord {
    /// Owner.
    pub user_id: OwnedUserId,
    /// Device.
    pub device_id: OwnedDeviceId,
    /// The signed `device_keys` object as uploaded.
    pub keys: Value,
    /// The device's display name, which `/keys/query` reports in `unsigned`.
    pub display_name: Option<String>,
}

/// The three kinds of cross-signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CrossSigningKeyType {
    /// `master`
    Master,
    /// `self_signing`
    SelfSigning,
    /// `user_signing`
    UserSigning,
}

impl CrossSigningKeyType {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Master, Self::SelfSigning, Self::UserSigning];

    /// The name used in storage and in the key's `usage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Master => "master",
            Self::SelfSigning => "self_signing",
            Self::UserSigning => "user_signing",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// One cross-signing key.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossSigningKey {
    /// The unpadded base64 ed25519 public key, which names the key in signatures.
    pub public_key: String,
    /// The signed key object as uploaded.
    pub json: Value,
}

/// A user's cross-signing keys; on writes, `None` leaves a key unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrossSigningKeys {
    /// The master key.
    pub master: Option<CrossSigningKey>,
    /// The self-signing key, which signs the user's devices.
    pub self_signing: Option<CrossSigningKey>,
    /// The user-signing key, which signs other users' master keys.
    pub user_signing: Option<CrossSigningKey>,
}

impl CrossSigningKeys {
    /// The key of one kind.
    pub fn get(&self, kind: CrossSigningKeyType) -> Option<&CrossSigningKey> {
        match kind {
            CrossSigningKeyType::Master => self.master.as_ref(),
            CrossSigningKeyType::SelfSigning => self.self_signing.as_ref(),
            CrossSigningKeyType::UserSigning => self.user_signing.as_ref(),
        }
    }

    /// Sets the key of one kind.
    pub fn set(&mut self, kind: CrossSigningKeyType, key: Option<CrossSigningKey>) {
        match kind {
            CrossSigningKeyType::Master => self.master = key,
            CrossSigningKeyType::SelfSigning => self.self_signing = key,
            CrossSigningKeyType::UserSigning => self.user_signing = key,
        }
    }
}

/// A signature uploaded through `/keys/signatures/upload`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeySignature {
    /// Who signed.
    pub signer_user_id: OwnedUserId,
    /// The signing key, as it appears in `signatures` (`ed25519:<device id or public key>`).
    pub signer_key_id: String,
    /// Whose key was signed.
    pub target_user_id: OwnedUserId,
    /// The signed key: a device id or a cross-signing public key.
    pub target_key_id: String,
    /// The unpadded base64 signature.
    pub signature: String,
}

/// Everything `/keys/query` returns about one user, read in one snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserKeys {
    /// Devices that have uploaded identity keys, ordered by device id.
    pub devices: Vec<DeviceKeysRecord>,
    /// Cross-signing keys.
    pub cross_signing: CrossSigningKeys,
    /// Uploaded signatures whose target is one of this user's keys, by any signer.
    pub signatures: Vec<KeySignature>,
}

/// One key to claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    /// Owner of the device.
    pub user_id: OwnedUserId,
    /// The device.
    pub device_id: OwnedDeviceId,
    /// Key algorithm (`signed_curve25519`).
    pub algorithm: String,
}

/// A claimed key.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedKey {
    /// Owner of the device.
    pub user_id: OwnedUserId,
    /// The device.
    pub device_id: OwnedDeviceId,
    /// `algorithm:name`.
    pub key_id: String,
    /// The key as uploaded.
    pub key: Value,
    /// It is the device's fallback key (one-time keys had run out); it stays available.
    pub fallback: bool,
}

/// Device-list news for one user between two stream positions (sync's `device_lists`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceListChanges {
    /// Users whose devices or keys the user should fetch again, sorted.
    pub changed: Vec<OwnedUserId>,
    /// Users the user no longer shares any room with, sorted.
    pub left: Vec<OwnedUserId>,
}

/// Key storage.
pub trait KeyStore {
    /// Stores a device's upload in one transaction. New or different device keys replace the
    /// stored ones, drop uploaded signatures of the old ones and record a device-list change for
    /// the user. A one-time key id already stored for the device with different content is a
    /// `Conflict` and nothing is written (identical re-uploads are ignored). A fallback key
    /// replaces the device's fallback key of its algorithm and is unused; re-uploading the same
    /// fallback key keeps its `used` flag.
    fn upload_keys(&self, user_id: &UserId, device_id: &DeviceId, upload: &KeyUpload) -> Result<UploadOutcome>;
    /// A device's stored identity keys.
    fn device_keys(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Option<Value>>;
    /// Unclaimed one-time keys of a device per algorithm (algorithms with none are absent).
    fn one_time_key_counts(&self, user_id: &UserId, device_id: &DeviceId) -> Result<BTreeMap<String, u64>>;
    /// Algorithms for which the device has a fallback key that was not claimed yet, sorted.
    fn unused_fallback_key_algorithms(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Vec<String>>;
    /// Claims one key per request in one transaction: the device's oldest one-time key of the
    /// algorithm, which is deleted so that no other claim can get it, else its fallback key,
    /// which is marked used. Requests with neither are left out of the result.
    fn claim_keys(&self, claims: &[KeyClaim]) -> Result<Vec<ClaimedKey>>;
    /// What `/keys/query` needs about each user, in one snapshot; unknown users get empty keys.
    fn query_keys(&self, user_ids: &[OwnedUserId]) -> Result<BTreeMap<OwnedUserId, UserKeys>>;
    /// A user's cross-signing keys.
    fn cross_signing_keys(&self, user_id: &UserId) -> Result<CrossSigningKeys>;
    /// Replaces the given (`Some`) cross-signing keys and records a device-list change, in one
    /// transaction. Signatures made by or on a replaced key are dropped. With
    /// `only_if_no_master`, nothing is written and `false` returned when the user already has a
    /// master key (the first upload needs no user-interactive authentication).
    fn put_cross_signing_keys(
        &self,
        user_id: &UserId,
        keys: &CrossSigningKeys,
        only_if_no_master: bool,
    ) -> Result<bool>;
    /// Stores verified signatures (replacing an earlier one by the same signer key on the same
    /// target) and records a device-list change for each target user, in one transaction: a
    /// signature on one's own key is news to everyone sharing a room with the signer, one on
    /// another user's key only to the signer.
    fn add_key_signatures(&self, signatures: &[KeySignature]) -> Result<()>;
    /// Device-list news for `user_id` with `since < stream <= until`:
    ///
    /// - `changed`: users currently sharing a joined room with `user_id` (or `user_id` itself)
    ///   with a device-list change in the window; users who joined a room `user_id` is joined to
    ///   in the window; every member of a room `user_id` joined in the window; targets of the
    ///   user's own signatures on other users' keys in the window.
    /// - `left`: users who share no joined room with `user_id` any more, having left a room
    ///   `user_id` was in, or stayed in a room `user_id` left, in the window.
    ///
    /// Memberships are read as they are now, so a window in the past is answered approximately
    /// (a user may be reported when nothing changed, which only costs the client a query).
    fn device_list_changes(&self, user_id: &UserId, since: i64, until: i64) -> Result<DeviceListChanges>;
}
