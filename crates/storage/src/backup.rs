//! Server-side room key backup (`/room_keys`): per-user backup versions and the encrypted room
//! keys stored in them.
//!
//! Versions are numbered per user from 1 and never reused, even after deletion; the current
//! version is the highest one not deleted. Every change to the keys of a version advances its
//! etag, so clients can tell whether they are up to date.

use std::cmp::Reverse;

use ruma::{OwnedRoomId, RoomId, UserId};

use crate::Result;

/// A live (not deleted) backup version.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupVersion {
    /// Its number.
    pub version: u64,
    /// The backup algorithm, e.g. `m.megolm_backup.v1.curve25519-aes-sha2`.
    pub algorithm: String,
    /// Algorithm-dependent data (public key, signatures), a JSON object.
    pub auth_data: serde_json::Value,
    /// Advances whenever the version's keys change.
    pub etag: u64,
    /// How many keys the version holds.
    pub count: u64,
}

/// One backed-up room key.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupKey {
    /// The room the session belongs to.
    pub room_id: OwnedRoomId,
    /// The Megolm session id.
    pub session_id: String,
    /// Index of the first message the key can decrypt.
    pub first_message_index: u64,
    /// How many times the key was forwarded between devices.
    pub forwarded_count: u64,
    /// Whether the device that uploaded it verified the key's origin.
    pub is_verified: bool,
    /// The encrypted session, a JSON object the server does not interpret.
    pub session_data: serde_json::Value,
}

impl BackupKey {
    /// Whether this key should replace `existing` for the same session: the spec keeps the
    /// "better" key, comparing first `is_verified` (verified is better), then
    /// `first_message_index` (lower is better), then `forwarded_count` (lower is better). On a
    /// tie the stored key stays.
    pub fn replaces(&self, existing: &Self) -> bool {
        let rank = |k: &Self| (k.is_verified, Reverse(k.first_message_index), Reverse(k.forwarded_count));
        rank(self) > rank(existing)
    }
}

/// A version's etag and key count after an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupCounts {
    /// The etag.
    pub etag: u64,
    /// The number of keys.
    pub count: u64,
}

/// The outcome of an upload of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUpload {
    /// The keys were stored (those not worse than the stored ones).
    Stored(BackupCounts),
    /// The version does not exist or was deleted.
    UnknownVersion,
    /// The version exists but is not the current one; keys go to the current version only.
    NotCurrent {
        /// The current version.
        current: u64,
    },
}

/// Which keys of a version an operation addresses.
#[derive(Debug, Clone, Copy)]
pub enum KeyScope<'a> {
    /// Every key of the version.
    All,
    /// The keys of one room.
    Room(&'a RoomId),
    /// The key of one session.
    Session(&'a RoomId, &'a str),
}

/// Key backup storage. Deleted versions behave as if they did not exist.
pub trait BackupStore {
    /// Creates a version numbered one above the user's highest version (deleted ones included),
    /// which becomes the current one; returns its number.
    fn create_backup_version(&self, user_id: &UserId, algorithm: &str, auth_data: &serde_json::Value) -> Result<u64>;

    /// A live version, or with `None` the current one.
    fn get_backup_version(&self, user_id: &UserId, version: Option<u64>) -> Result<Option<BackupVersion>>;

    /// Replaces a live version's `auth_data`; `false` if there is no such version.
    fn update_backup_auth_data(&self, user_id: &UserId, version: u64, auth_data: &serde_json::Value) -> Result<bool>;

    /// Deletes a live version and all its keys; `false` if there is no such version.
    fn delete_backup_version(&self, user_id: &UserId, version: u64) -> Result<bool>;

    /// Stores keys in the current version, atomically: each key is inserted, or replaces the
    /// stored one for its session if [`BackupKey::replaces`] says so. The etag advances if
    /// anything changed. Nothing is written unless `version` is the current version.
    fn put_backup_keys(&self, user_id: &UserId, version: u64, keys: &[BackupKey]) -> Result<KeyUpload>;

    /// The keys of a live version in `scope`, ordered by room and session; `None` if there is no
    /// such version.
    fn get_backup_keys(&self, user_id: &UserId, version: u64, scope: KeyScope<'_>) -> Result<Option<Vec<BackupKey>>>;

    /// Deletes the keys of a live version in `scope`, advancing the etag if any were deleted;
    /// `None` if there is no such version.
    fn delete_backup_keys(&self, user_id: &UserId, version: u64, scope: KeyScope<'_>) -> Result<Option<BackupCounts>>;
}
