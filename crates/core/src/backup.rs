//! Server-side room key backup (`/room_keys`): a user's backup versions and the encrypted room
//! keys in them. The server never decrypts anything; it validates shapes, keeps the better key
//! for each session and counts changes with an etag. Every operation is on the caller's own
//! backup.
//!
//! Version numbers are decimal strings in the API; a string that is not one names no version
//! (`M_NOT_FOUND`), as does a deleted version.

use std::collections::BTreeMap;

use rempart_storage::backup::{BackupCounts, BackupKey, BackupVersion, KeyUpload};
use ruma::api::client::backup::{BackupAlgorithm, KeyBackupData};
use ruma::serde::Raw;
use ruma::{OwnedRoomId, RoomId, UInt, UserId};
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub use rempart_storage::backup::KeyScope;

use crate::{CoreError, Result, Services};

/// A backup version as clients see it.
#[derive(Debug, Clone)]
pub struct BackupInfo {
    /// The version.
    pub version: String,
    /// `algorithm` and `auth_data`.
    pub algorithm: Raw<BackupAlgorithm>,
    /// Changes whenever the keys change.
    pub etag: String,
    /// Number of keys.
    pub count: UInt,
}

/// A version's etag and key count after a change.
#[derive(Debug, Clone)]
pub struct KeyCounts {
    /// The etag.
    pub etag: String,
    /// Number of keys.
    pub count: UInt,
}

/// Backed-up keys by room, then session.
pub type RoomKeys = BTreeMap<OwnedRoomId, BTreeMap<String, Raw<KeyBackupData>>>;

/// The body of version creation and update.
#[derive(Deserialize)]
struct VersionBody {
    algorithm: String,
    auth_data: Map<String, Value>,
    version: Option<String>,
}

/// The fields of a key the server reads; `session_data` stays opaque.
#[derive(Deserialize)]
struct KeyBody {
    first_message_index: UInt,
    forwarded_count: UInt,
    is_verified: bool,
    session_data: Map<String, Value>,
}

fn parse_version_body(body: &Raw<BackupAlgorithm>) -> Result<VersionBody> {
    let body: VersionBody =
        body.deserialize_as_unchecked().map_err(|e| CoreError::BadJson(format!("invalid backup version: {e}")))?;
    if body.algorithm.is_empty() {
        return Err(CoreError::BadJson("algorithm must not be empty".into()));
    }
    Ok(body)
}

fn parse_key(room_id: &RoomId, session_id: &str, key: &Raw<KeyBackupData>) -> Result<BackupKey> {
    let body: KeyBody = key
        .deserialize_as_unchecked()
        .map_err(|e| CoreError::BadJson(format!("invalid key for session {session_id} in room {room_id}: {e}")))?;
    Ok(BackupKey {
        room_id: room_id.to_owned(),
        session_id: session_id.to_owned(),
        first_message_index: body.first_message_index.into(),
        forwarded_count: body.forwarded_count.into(),
        is_verified: body.is_verified,
        session_data: Value::Object(body.session_data),
    })
}

/// A version number from the API; anything but a decimal number names no version.
fn parse_version(version: &str) -> Result<u64> {
    version
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| version.parse().ok())
        .flatten()
        .ok_or_else(|| unknown_version(version))
}

fn unknown_version(version: &str) -> CoreError {
    CoreError::NotFound(format!("unknown backup version {version:?}"))
}

fn raw<T>(value: &Value) -> Result<Raw<T>> {
    serde_json::value::to_raw_value(value)
        .map(Raw::from_json)
        .map_err(|e| CoreError::Internal(format!("serialising backup data: {e}")))
}

fn counts(counts: BackupCounts) -> KeyCounts {
    KeyCounts { etag: counts.etag.to_string(), count: UInt::new_saturating(counts.count) }
}

fn info(version: BackupVersion) -> Result<BackupInfo> {
    Ok(BackupInfo {
        version: version.version.to_string(),
        algorithm: raw(&json!({ "algorithm": version.algorithm, "auth_data": version.auth_data }))?,
        etag: version.etag.to_string(),
        count: UInt::new_saturating(version.count),
    })
}

fn key_data(key: &BackupKey) -> Result<Raw<KeyBackupData>> {
    raw(&json!({
        "first_message_index": key.first_message_index,
        "forwarded_count": key.forwarded_count,
        "is_verified": key.is_verified,
        "session_data": key.session_data,
    }))
}

impl Services {
    /// Creates a backup version, which becomes the current one; returns its number.
    pub fn create_backup_version(&self, user_id: &UserId, body: &Raw<BackupAlgorithm>) -> Result<String> {
        let body = parse_version_body(body)?;
        let version = self.store.create_backup_version(user_id, &body.algorithm, &Value::Object(body.auth_data))?;
        Ok(version.to_string())
    }

    /// A backup version, or with `None` the current one.
    pub fn backup_version(&self, user_id: &UserId, version: Option<&str>) -> Result<BackupInfo> {
        let requested = version.map(parse_version).transpose()?;
        match self.store.get_backup_version(user_id, requested)? {
            Some(found) => info(found),
            None => {
                Err(version.map_or_else(|| CoreError::NotFound("no current backup version".into()), unknown_version))
            }
        }
    }

    /// Replaces a version's `auth_data`. The body's `algorithm` must be the version's, and its
    /// `version`, if given, the one in the path.
    pub fn update_backup_version(&self, user_id: &UserId, version: &str, body: &Raw<BackupAlgorithm>) -> Result<()> {
        let body = parse_version_body(body)?;
        if body.version.as_deref().is_some_and(|v| v != version) {
            return Err(CoreError::InvalidParam("the version in the body does not match the path".into()));
        }
        let number = parse_version(version)?;
        let stored = self.store.get_backup_version(user_id, Some(number))?.ok_or_else(|| unknown_version(version))?;
        if stored.algorithm != body.algorithm {
            return Err(CoreError::InvalidParam("the algorithm of a backup version cannot change".into()));
        }
        if self.store.update_backup_auth_data(user_id, number, &Value::Object(body.auth_data))? {
            Ok(())
        } else {
            Err(unknown_version(version))
        }
    }

    /// Deletes a version and its keys.
    pub fn delete_backup_version(&self, user_id: &UserId, version: &str) -> Result<()> {
        if self.store.delete_backup_version(user_id, parse_version(version)?)? {
            Ok(())
        } else {
            Err(unknown_version(version))
        }
    }

    /// Stores keys in `version`, which must be the current version, keeping the better key for
    /// sessions already backed up. Nothing is stored if any key is malformed.
    pub fn put_backup_keys<'a>(
        &self,
        user_id: &UserId,
        version: &str,
        keys: impl IntoIterator<Item = (&'a RoomId, &'a str, &'a Raw<KeyBackupData>)>,
    ) -> Result<KeyCounts> {
        let number = parse_version(version)?;
        let keys =
            keys.into_iter().map(|(room, session, key)| parse_key(room, session, key)).collect::<Result<Vec<_>>>()?;
        match self.store.put_backup_keys(user_id, number, &keys)? {
            KeyUpload::Stored(stored) => Ok(counts(stored)),
            KeyUpload::NotCurrent { current } => {
                Err(CoreError::WrongRoomKeysVersion { current_version: current.to_string() })
            }
            KeyUpload::UnknownVersion => Err(unknown_version(version)),
        }
    }

    /// The keys of `version` in `scope`.
    pub fn backup_keys(&self, user_id: &UserId, version: &str, scope: KeyScope<'_>) -> Result<RoomKeys> {
        let keys = self
            .store
            .get_backup_keys(user_id, parse_version(version)?, scope)?
            .ok_or_else(|| unknown_version(version))?;
        let mut rooms = RoomKeys::new();
        for key in &keys {
            rooms.entry(key.room_id.clone()).or_default().insert(key.session_id.clone(), key_data(key)?);
        }
        Ok(rooms)
    }

    /// The key of one session.
    pub fn backup_key(
        &self,
        user_id: &UserId,
        version: &str,
        room_id: &RoomId,
        session_id: &str,
    ) -> Result<Raw<KeyBackupData>> {
        self.backup_keys(user_id, version, KeyScope::Session(room_id, session_id))?
            .remove(room_id)
            .and_then(|mut sessions| sessions.remove(session_id))
            .ok_or_else(|| CoreError::NotFound("no key backed up for this session".into()))
    }

    /// Deletes the keys of `version` in `scope`.
    pub fn delete_backup_keys(&self, user_id: &UserId, version: &str, scope: KeyScope<'_>) -> Result<KeyCounts> {
        let number = parse_version(version)?;
        self.store.delete_backup_keys(user_id, number, scope)?.map(counts).ok_or_else(|| unknown_version(version))
    }
}
