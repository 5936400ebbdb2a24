//! [`KeyStore`] for SQLite: device, one-time, fallback and cross-signing keys and uploaded
//! signatures. The device-list change stream and its queries live in [`device_lists`].

mod device_lists;

use std::collections::{BTreeMap, BTreeSet};

use rempart_storage::keys::{
    ClaimedKey, CrossSigningKey, CrossSigningKeyType, CrossSigningKeys, DeviceKeysRecord, DeviceListChanges, KeyClaim,
    KeySignature, KeyUpload, UploadOutcome, UserKeys,
};
use rempart_storage::{KeyStore, Result, StorageError};
use ruma::{DeviceId, OwnedDeviceId, OwnedUserId, UserId};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

pub(crate) use device_lists::{forget_devices, record_change};

use crate::{SqliteStore, backend, corrupt, parse_id, to_u64};

fn to_json(value: &Value) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Backend(format!("serialising JSON: {e}")))
}

fn from_json(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("stored key JSON: {e}")))
}

/// Splits `algorithm:name`; the caller has validated the id.
fn split_key_id(key_id: &str) -> Result<(&str, &str)> {
    key_id.split_once(':').ok_or_else(|| StorageError::Backend(format!("malformed key id {key_id:?}")))
}

fn one_time_key_counts(conn: &Connection, user_id: &UserId, device_id: &DeviceId) -> Result<BTreeMap<String, u64>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT algorithm, count(*) FROM one_time_keys WHERE user_id = ?1 AND device_id = ?2 GROUP BY algorithm",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([user_id.as_str(), device_id.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(backend)?;
    rows.into_iter().map(|(algorithm, count)| Ok((algorithm, to_u64(count)?))).collect()
}

/// Stores device keys when new or different; true when they changed.
fn put_device_keys(conn: &Connection, user_id: &UserId, device_id: &DeviceId, keys: &Value) -> Result<bool> {
    let (user, device) = (user_id.as_str(), device_id.as_str());
    let old: Option<String> = conn
        .prepare_cached("SELECT json FROM device_keys WHERE user_id = ?1 AND device_id = ?2")
        .and_then(|mut stmt| stmt.query_row([user, device], |r| r.get(0)).optional())
        .map_err(backend)?;
    if old.map(|old| from_json(&old)).transpose()?.as_ref() == Some(keys) {
        return Ok(false);
    }
    let json = to_json(keys)?;
    conn.prepare_cached(
        "INSERT INTO device_keys (user_id, device_id, json) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id, device_id) DO UPDATE SET json = excluded.json",
    )
    .and_then(|mut stmt| stmt.execute(params![user, device, json]))
    .map_err(backend)?;
    // Signatures of the old keys do not sign the new ones.
    conn.prepare_cached("DELETE FROM key_signatures WHERE target_user_id = ?1 AND target_key_id = ?2")
        .and_then(|mut stmt| stmt.execute([user, device]))
        .map_err(backend)?;
    Ok(true)
}

fn put_one_time_key(
    conn: &Connection,
    user_id: &UserId,
    device_id: &DeviceId,
    key_id: &str,
    key: &Value,
) -> Result<()> {
    let (algorithm, name) = split_key_id(key_id)?;
    let (user, device) = (user_id.as_str(), device_id.as_str());
    let old: Option<String> = conn
        .prepare_cached(
            "SELECT json FROM one_time_keys WHERE user_id = ?1 AND device_id = ?2 AND algorithm = ?3 AND key_id = ?4",
        )
        .and_then(|mut stmt| stmt.query_row([user, device, algorithm, name], |r| r.get(0)).optional())
        .map_err(backend)?;
    match old {
        Some(old) if from_json(&old)? == *key => Ok(()),
        Some(_) => Err(StorageError::Conflict(format!("one-time key {key_id} already exists with different content"))),
        None => {
            let json = to_json(key)?;
            conn.prepare_cached(
                "INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut stmt| stmt.execute(params![user, device, algorithm, name, json]))
            .map_err(backend)?;
            Ok(())
        }
    }
}

fn put_fallback_key(
    conn: &Connection,
    user_id: &UserId,
    device_id: &DeviceId,
    key_id: &str,
    key: &Value,
) -> Result<()> {
    let (algorithm, name) = split_key_id(key_id)?;
    let (user, device) = (user_id.as_str(), device_id.as_str());
    let old: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT key_id, json FROM fallback_keys WHERE user_id = ?1 AND device_id = ?2 AND algorithm = ?3",
        )
        .and_then(|mut stmt| stmt.query_row([user, device, algorithm], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(backend)?;
    if let Some((old_name, old_json)) = old
        && old_name == name
        && from_json(&old_json)? == *key
    {
        // The same key again: it must not become "unused" if it was handed out.
        return Ok(());
    }
    let json = to_json(key)?;
    conn.prepare_cached(
        "INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, json, used) VALUES (?1, ?2, ?3, ?4, ?5, 0)
         ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET
             key_id = excluded.key_id, json = excluded.json, used = 0",
    )
    .and_then(|mut stmt| stmt.execute(params![user, device, algorithm, name, json]))
    .map_err(backend)?;
    Ok(())
}

/// Claims one key for `claim` inside the caller's transaction.
fn claim_one(conn: &Connection, claim: &KeyClaim) -> Result<Option<ClaimedKey>> {
    let args = [claim.user_id.as_str(), claim.device_id.as_str(), claim.algorithm.as_str()];
    let read = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
    // Selecting and deleting in one statement, inside the single writer's transaction, is what
    // guarantees that no two claims ever get the same key.
    let one_time: Option<(String, String)> = conn
        .prepare_cached(
            "DELETE FROM one_time_keys WHERE id = (
                 SELECT id FROM one_time_keys WHERE user_id = ?1 AND device_id = ?2 AND algorithm = ?3
                 ORDER BY id LIMIT 1)
             RETURNING key_id, json",
        )
        .and_then(|mut stmt| stmt.query_row(args, read).optional())
        .map_err(backend)?;
    let (found, fallback) = match one_time {
        Some(found) => (found, false),
        None => {
            let fallback: Option<(String, String)> = conn
                .prepare_cached(
                    "UPDATE fallback_keys SET used = 1 WHERE user_id = ?1 AND device_id = ?2 AND algorithm = ?3
                     RETURNING key_id, json",
                )
                .and_then(|mut stmt| stmt.query_row(args, read).optional())
                .map_err(backend)?;
            match fallback {
                Some(found) => (found, true),
                None => return Ok(None),
            }
        }
    };
    let (name, json) = found;
    Ok(Some(ClaimedKey {
        user_id: claim.user_id.clone(),
        device_id: claim.device_id.clone(),
        key_id: format!("{}:{name}", claim.algorithm),
        key: from_json(&json)?,
        fallback,
    }))
}

fn query_user(conn: &Connection, user_id: &UserId) -> Result<UserKeys> {
    let user = user_id.as_str();
    let devices: Vec<(String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT k.device_id, k.json, d.display_name FROM device_keys k
             JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id
             WHERE k.user_id = ?1 ORDER BY k.device_id",
        )
        .and_then(|mut stmt| {
            stmt.query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()
        })
        .map_err(backend)?;
    let signatures: Vec<(String, String, String, String)> = conn
        .prepare_cached(
            "SELECT signer_user_id, signer_key_id, target_key_id, signature FROM key_signatures
             WHERE target_user_id = ?1 ORDER BY target_key_id, signer_user_id, signer_key_id",
        )
        .and_then(|mut stmt| {
            stmt.query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(backend)?;
    Ok(UserKeys {
        devices: devices
            .into_iter()
            .map(|(device_id, json, display_name)| {
                Ok(DeviceKeysRecord {
                    user_id: user_id.to_owned(),
                    device_id: OwnedDeviceId::from(device_id),
                    keys: from_json(&json)?,
                    display_name,
                })
            })
            .collect::<Result<_>>()?,
        cross_signing: cross_signing_keys(conn, user_id)?,
        signatures: signatures
            .into_iter()
            .map(|(signer, signer_key_id, target_key_id, signature)| {
                Ok(KeySignature {
                    signer_user_id: parse_id(signer, "user id")?,
                    signer_key_id,
                    target_user_id: user_id.to_owned(),
                    target_key_id,
                    signature,
                })
            })
            .collect::<Result<_>>()?,
    })
}

fn cross_signing_keys(conn: &Connection, user_id: &UserId) -> Result<CrossSigningKeys> {
    let rows: Vec<(String, String, String)> = conn
        .prepare_cached("SELECT key_type, public_key, json FROM cross_signing_keys WHERE user_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_map([user_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(backend)?;
    let mut keys = CrossSigningKeys::default();
    for (kind, public_key, json) in rows {
        let kind =
            CrossSigningKeyType::parse(&kind).ok_or_else(|| corrupt(format!("cross-signing key type {kind:?}")))?;
        keys.set(kind, Some(CrossSigningKey { public_key, json: from_json(&json)? }));
    }
    Ok(keys)
}

/// Replaces one cross-signing key; true when it changed.
fn put_cross_signing_key(
    conn: &Connection,
    user_id: &UserId,
    kind: CrossSigningKeyType,
    key: &CrossSigningKey,
) -> Result<bool> {
    let user = user_id.as_str();
    let old: Option<(String, String)> = conn
        .prepare_cached("SELECT public_key, json FROM cross_signing_keys WHERE user_id = ?1 AND key_type = ?2")
        .and_then(|mut stmt| stmt.query_row([user, kind.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(backend)?;
    if let Some((old_public, old_json)) = &old {
        if *old_public == key.public_key && from_json(old_json)? == key.json {
            return Ok(false);
        }
        if *old_public != key.public_key {
            // Signatures made by the old key, or on it, are about a key that is gone.
            conn.prepare_cached(
                "DELETE FROM key_signatures WHERE (signer_user_id = ?1 AND signer_key_id = 'ed25519:' || ?2)
                    OR (target_user_id = ?1 AND target_key_id = ?2)",
            )
            .and_then(|mut stmt| stmt.execute([user, old_public.as_str()]))
            .map_err(backend)?;
        }
    }
    let json = to_json(&key.json)?;
    conn.prepare_cached(
        "INSERT INTO cross_signing_keys (user_id, key_type, public_key, json) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, key_type) DO UPDATE SET public_key = excluded.public_key, json = excluded.json",
    )
    .and_then(|mut stmt| stmt.execute(params![user, kind.as_str(), key.public_key, json]))
    .map_err(backend)?;
    Ok(true)
}

impl KeyStore for SqliteStore {
    fn upload_keys(&self, user_id: &UserId, device_id: &DeviceId, upload: &KeyUpload) -> Result<UploadOutcome> {
        self.write(|tx| {
            let mut device_list_changed = false;
            if let Some(keys) = &upload.device_keys
                && put_device_keys(tx, user_id, device_id, keys)?
            {
                record_change(tx, user_id, None)?;
                device_list_changed = true;
            }
            for (key_id, key) in &upload.one_time_keys {
                put_one_time_key(tx, user_id, device_id, key_id, key)?;
            }
            for (key_id, key) in &upload.fallback_keys {
                put_fallback_key(tx, user_id, device_id, key_id, key)?;
            }
            Ok(UploadOutcome { one_time_key_counts: one_time_key_counts(tx, user_id, device_id)?, device_list_changed })
        })
    }

    fn device_keys(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Option<Value>> {
        let json: Option<String> = self.read(|tx| {
            tx.prepare_cached("SELECT json FROM device_keys WHERE user_id = ?1 AND device_id = ?2")
                .and_then(|mut stmt| stmt.query_row([user_id.as_str(), device_id.as_str()], |r| r.get(0)).optional())
                .map_err(backend)
        })?;
        json.map(|json| from_json(&json)).transpose()
    }

    fn one_time_key_counts(&self, user_id: &UserId, device_id: &DeviceId) -> Result<BTreeMap<String, u64>> {
        self.read(|tx| one_time_key_counts(tx, user_id, device_id))
    }

    fn unused_fallback_key_algorithms(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Vec<String>> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT algorithm FROM fallback_keys WHERE user_id = ?1 AND device_id = ?2 AND used = 0
                 ORDER BY algorithm",
            )
            .and_then(|mut stmt| {
                stmt.query_map([user_id.as_str(), device_id.as_str()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()
            })
            .map_err(backend)
        })
    }

    fn claim_keys(&self, claims: &[KeyClaim]) -> Result<Vec<ClaimedKey>> {
        if claims.is_empty() {
            return Ok(vec![]);
        }
        self.write(|tx| claims.iter().filter_map(|claim| claim_one(tx, claim).transpose()).collect())
    }

    fn query_keys(&self, user_ids: &[OwnedUserId]) -> Result<BTreeMap<OwnedUserId, UserKeys>> {
        let unique: BTreeSet<&OwnedUserId> = user_ids.iter().collect();
        self.read(|tx| unique.into_iter().map(|user_id| Ok((user_id.clone(), query_user(tx, user_id)?))).collect())
    }

    fn cross_signing_keys(&self, user_id: &UserId) -> Result<CrossSigningKeys> {
        self.read(|tx| cross_signing_keys(tx, user_id))
    }

    fn put_cross_signing_keys(
        &self,
        user_id: &UserId,
        keys: &CrossSigningKeys,
        only_if_no_master: bool,
    ) -> Result<bool> {
        self.write(|tx| {
            if only_if_no_master && cross_signing_keys(tx, user_id)?.master.is_some() {
                return Ok(false);
            }
            let mut changed = false;
            for kind in CrossSigningKeyType::ALL {
                if let Some(key) = keys.get(kind) {
                    changed |= put_cross_signing_key(tx, user_id, kind, key)?;
                }
            }
            if changed {
                record_change(tx, user_id, None)?;
            }
            Ok(true)
        })
    }

    fn add_key_signatures(&self, signatures: &[KeySignature]) -> Result<()> {
        if signatures.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO key_signatures
                         (signer_user_id, signer_key_id, target_user_id, target_key_id, signature)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
                     DO UPDATE SET signature = excluded.signature",
                )
                .map_err(backend)?;
            let mut news = BTreeSet::new();
            for s in signatures {
                stmt.execute(params![
                    s.signer_user_id.as_str(),
                    s.signer_key_id,
                    s.target_user_id.as_str(),
                    s.target_key_id,
                    s.signature
                ])
                .map_err(backend)?;
                let visible_to = (s.signer_user_id != s.target_user_id).then_some(&s.signer_user_id);
                news.insert((&s.target_user_id, visible_to));
            }
            for (user_id, visible_to) in news {
                record_change(tx, user_id, visible_to.map(|u| &**u))?;
            }
            Ok(())
        })
    }

    fn device_list_changes(&self, user_id: &UserId, since: i64, until: i64) -> Result<DeviceListChanges> {
        self.read(|tx| device_lists::changes(tx, user_id, since, until))
    }
}
