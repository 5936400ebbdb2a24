//! Cross-signing: uploading the master, self-signing and user-signing keys
//! (`/keys/device_signing/upload`) and signatures made with them or with devices
//! (`/keys/signatures/upload`). Every key and every signature is checked before it is stored.

use std::collections::BTreeMap;

use rempart_storage::DeviceRecord;
use rempart_storage::keys::{CrossSigningKey, CrossSigningKeyType, CrossSigningKeys, KeySignature, UserKeys};
use ruma::{CanonicalJsonObject, CanonicalJsonValue, OwnedUserId, UserId, encryption, serde::Base64, serde::Raw};
use serde_json::value::RawValue as RawJsonValue;

use super::signed::{
    canonical_object, ed25519_key, same_signed_content, signature, signature_key_ids, stored_object, verify_signature,
};
use crate::{CoreError, Result, Services, accounts::Identity};

/// Why cross-signing keys were refused, beyond the usual service errors.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    /// A self-signing or user-signing key is not signed by the master key
    /// (`M_INVALID_SIGNATURE`).
    #[error("{0}")]
    InvalidSignature(String),
    /// No master key to check a self-signing or user-signing key against (`M_MISSING_PARAM`).
    #[error("{0}")]
    MissingParam(String),
    /// Anything else.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Cross-signing keys that passed every check, ready to store.
#[derive(Debug, Clone)]
pub struct CrossSigningUpload(CrossSigningKeys);

/// Why one key of a signature upload was refused (`failures` in the response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFailure {
    /// `M_INVALID_SIGNATURE` or `M_INVALID_PARAM`.
    pub errcode: &'static str,
    /// Human-readable reason.
    pub message: String,
}

fn invalid_param(message: impl Into<String>) -> SignatureFailure {
    SignatureFailure { errcode: "M_INVALID_PARAM", message: message.into() }
}

fn invalid_signature(message: impl Into<String>) -> SignatureFailure {
    SignatureFailure { errcode: "M_INVALID_SIGNATURE", message: message.into() }
}

/// Checks one uploaded cross-signing key of `kind` for `user_id`.
fn parse_key(
    raw: &Raw<encryption::CrossSigningKey>,
    user_id: &UserId,
    kind: CrossSigningKeyType,
    devices: &[DeviceRecord],
) -> Result<CrossSigningKey> {
    let name = format!("{}_key", kind.as_str());
    let invalid = |message: String| CoreError::InvalidParam(message);
    let object = canonical_object(raw.json().get(), &name).map_err(invalid)?;
    if object.get("user_id") != Some(&CanonicalJsonValue::String(user_id.to_string())) {
        return Err(invalid(format!("{name}.user_id must be {user_id}")));
    }
    let usage_ok = matches!(object.get("usage"), Some(CanonicalJsonValue::Array(usage))
        if usage.contains(&CanonicalJsonValue::String(kind.as_str().to_owned())));
    if !usage_ok {
        return Err(invalid(format!("{name}.usage must contain \"{}\"", kind.as_str())));
    }
    let public_key = match object.get("keys") {
        Some(CanonicalJsonValue::Object(keys)) if keys.len() == 1 => keys.iter().next().and_then(|(id, value)| {
            let public = id.strip_prefix("ed25519:")?;
            (value == &CanonicalJsonValue::String(public.to_owned())).then(|| public.to_owned())
        }),
        _ => None,
    }
    .ok_or_else(|| {
        invalid(format!("{name}.keys must hold exactly one key, \"ed25519:<public key>\": \"<public key>\""))
    })?;
    let decoded: Option<Base64> = Base64::parse(&public_key).ok();
    if decoded.map(|b| b.as_bytes().len()) != Some(32) {
        return Err(invalid(format!("{name} is not an unpadded base64 ed25519 public key")));
    }
    if devices.iter().any(|d| d.device_id.as_str() == public_key) {
        return Err(CoreError::Forbidden(format!("the public key of {name} is the id of one of your devices")));
    }
    Ok(CrossSigningKey { public_key, json: CanonicalJsonValue::Object(object).into() })
}

fn object_of(key: &CrossSigningKey) -> Result<CanonicalJsonObject> {
    stored_object(&key.json).ok_or_else(|| CoreError::Internal("stored cross-signing key is not an object".into()))
}

impl Services {
    /// Checks uploaded cross-signing keys: each names the caller and its usage, and the
    /// self-signing and user-signing keys are signed by the master key (the one uploaded with
    /// them, else the stored one).
    pub fn check_cross_signing_upload(
        &self,
        identity: &Identity,
        master: Option<&Raw<encryption::CrossSigningKey>>,
        self_signing: Option<&Raw<encryption::CrossSigningKey>>,
        user_signing: Option<&Raw<encryption::CrossSigningKey>>,
    ) -> Result<CrossSigningUpload, SigningKeyError> {
        let user_id = &identity.user_id;
        let devices = self.store.list_devices(user_id).map_err(CoreError::from)?;
        let mut keys = CrossSigningKeys::default();
        let uploaded = [
            (CrossSigningKeyType::Master, master),
            (CrossSigningKeyType::SelfSigning, self_signing),
            (CrossSigningKeyType::UserSigning, user_signing),
        ];
        for (kind, raw) in uploaded {
            if let Some(raw) = raw {
                keys.set(kind, Some(parse_key(raw, user_id, kind, &devices)?));
            }
        }
        let master = match &keys.master {
            Some(master) => Some(master.public_key.clone()),
            None => self.store.cross_signing_keys(user_id).map_err(CoreError::from)?.master.map(|m| m.public_key),
        };
        for kind in [CrossSigningKeyType::SelfSigning, CrossSigningKeyType::UserSigning] {
            let Some(key) = keys.get(kind) else { continue };
            let master = master.as_deref().ok_or_else(|| {
                SigningKeyError::MissingParam(format!("no master key to check the {} key with", kind.as_str()))
            })?;
            verify_signature(&object_of(key)?, user_id, master, master).map_err(|e| {
                SigningKeyError::InvalidSignature(format!(
                    "the {} key must be signed by the master key: {e}",
                    kind.as_str()
                ))
            })?;
        }
        Ok(CrossSigningUpload(keys))
    }

    /// Stores checked cross-signing keys. Without `authenticated`, only what needs no
    /// user-interactive authentication is done: nothing when the keys are the stored ones, and
    /// the first upload when the user has no master key yet. Returns false when the caller must
    /// authenticate and call again with `authenticated`.
    pub fn store_cross_signing_keys(
        &self,
        identity: &Identity,
        upload: &CrossSigningUpload,
        authenticated: bool,
    ) -> Result<bool> {
        let (user_id, keys) = (&identity.user_id, &upload.0);
        if !authenticated {
            let stored = self.store.cross_signing_keys(user_id)?;
            let unchanged =
                CrossSigningKeyType::ALL.into_iter().all(|k| keys.get(k).is_none_or(|key| stored.get(k) == Some(key)));
            if unchanged {
                return Ok(true);
            }
            if stored.master.is_some() || !self.store.put_cross_signing_keys(user_id, keys, true)? {
                return Ok(false);
            }
        } else {
            self.store.put_cross_signing_keys(user_id, keys, false)?;
        }
        self.notifier.notify();
        Ok(true)
    }

    /// Checks and stores uploaded signatures (`signed` lists target user, key id and signed
    /// object). Returns the refused ones per user and key id; valid ones are stored even when
    /// others fail.
    pub fn upload_signatures(
        &self,
        identity: &Identity,
        signed: &[(OwnedUserId, String, &RawJsonValue)],
    ) -> Result<BTreeMap<OwnedUserId, BTreeMap<String, SignatureFailure>>> {
        let caller = &identity.user_id;
        let own = self.store.query_keys(std::slice::from_ref(caller))?.remove(caller).unwrap_or_default();
        let mut failures: BTreeMap<OwnedUserId, BTreeMap<String, SignatureFailure>> = BTreeMap::new();
        let mut accepted = Vec::new();
        for (target, key_id, raw) in signed {
            let checked = match canonical_object(raw.get(), "signed key") {
                Err(message) => Ok(Err(invalid_param(message))),
                Ok(object) if target == caller => Ok(self_signatures(caller, &own, key_id, &object)),
                Ok(object) => self.user_signature(caller, &own, target, key_id, &object),
            };
            match checked? {
                Ok(signatures) => accepted.extend(signatures),
                Err(failure) => {
                    failures.entry(target.clone()).or_default().insert(key_id.clone(), failure);
                }
            }
        }
        if !accepted.is_empty() {
            self.store.add_key_signatures(&accepted)?;
            self.notifier.notify();
        }
        Ok(failures)
    }

    /// The caller's user-signing key on another user's master key.
    fn user_signature(
        &self,
        caller: &UserId,
        own: &UserKeys,
        target: &UserId,
        key_id: &str,
        object: &CanonicalJsonObject,
    ) -> Result<Result<Vec<KeySignature>, SignatureFailure>> {
        if target.server_name() != self.config.server_name {
            return Ok(Err(invalid_param("signing keys of users on other servers is not supported yet")));
        }
        let Some(usk) = &own.cross_signing.user_signing else {
            return Ok(Err(invalid_param("you have no user-signing key to sign other users' keys with")));
        };
        let Some(master) = self.store.cross_signing_keys(target)?.master.filter(|m| m.public_key == key_id) else {
            return Ok(Err(invalid_param(format!("{key_id} is not the master key of {target}"))));
        };
        if !same_signed_content(object, &object_of(&master)?) {
            return Ok(Err(invalid_param(format!("the signed key is not {target}'s current master key"))));
        }
        Ok(match verify_signature(object, caller, &usk.public_key, &usk.public_key) {
            Ok(signature) => Ok(vec![KeySignature {
                signer_user_id: caller.to_owned(),
                signer_key_id: format!("ed25519:{}", usk.public_key),
                target_user_id: target.to_owned(),
                target_key_id: key_id.to_owned(),
                signature,
            }]),
            Err(message) => Err(invalid_signature(message)),
        })
    }
}

/// Signatures on the caller's own keys: a device signed with the self-signing key, or the
/// master key signed with devices.
fn self_signatures(
    caller: &UserId,
    own: &UserKeys,
    key_id: &str,
    object: &CanonicalJsonObject,
) -> Result<Vec<KeySignature>, SignatureFailure> {
    let signature_on = |signer_key: &str, signature: String| KeySignature {
        signer_user_id: caller.to_owned(),
        signer_key_id: format!("ed25519:{signer_key}"),
        target_user_id: caller.to_owned(),
        target_key_id: key_id.to_owned(),
        signature,
    };
    if let Some(master) = own.cross_signing.master.as_ref().filter(|m| m.public_key == key_id) {
        let stored = stored_object(&master.json).ok_or_else(|| invalid_param("stored master key is unreadable"))?;
        if !same_signed_content(object, &stored) {
            return Err(invalid_param("the signed key is not your current master key"));
        }
        let mut signatures = Vec::new();
        for signer_key in signature_key_ids(object, caller) {
            let Some(device_id) = signer_key.strip_prefix("ed25519:") else { continue };
            // The master key's self-signature, and signatures already stored with the key, are
            // not new.
            if device_id == key_id || signature(&stored, caller, &signer_key).is_some() {
                continue;
            }
            let Some(device) = own.devices.iter().find(|d| d.device_id.as_str() == device_id) else { continue };
            let device_keys = stored_object(&device.keys);
            let Some(public) = device_keys.as_ref().and_then(|k| ed25519_key(k, device_id)) else { continue };
            let signature = verify_signature(object, caller, device_id, public).map_err(invalid_signature)?;
            signatures.push(signature_on(device_id, signature));
        }
        if signatures.is_empty() {
            return Err(invalid_signature("no new signature of the master key by one of your devices"));
        }
        return Ok(signatures);
    }
    let Some(device) = own.devices.iter().find(|d| d.device_id.as_str() == key_id) else {
        return Err(invalid_param(format!("{key_id} is neither one of your devices with keys nor your master key")));
    };
    let stored = stored_object(&device.keys).ok_or_else(|| invalid_param("stored device keys are unreadable"))?;
    if !same_signed_content(object, &stored) {
        return Err(invalid_param(format!("the signed keys are not the current keys of device {key_id}")));
    }
    let Some(ssk) = &own.cross_signing.self_signing else {
        return Err(invalid_param("you have no self-signing key to sign devices with"));
    };
    let signature = verify_signature(object, caller, &ssk.public_key, &ssk.public_key).map_err(invalid_signature)?;
    Ok(vec![signature_on(&ssk.public_key, signature)])
}
