//! Signed key objects: parsing uploaded JSON as canonical JSON, checking one signature on it
//! with an ed25519 public key, and comparing a re-signed object with the stored one.

use ruma::{
    CanonicalJsonObject, CanonicalJsonValue, UserId,
    serde::Base64,
    signatures::{PublicKeyMap, verify_json},
};
use serde_json::Value;

/// Fields that are not covered by signatures.
const UNSIGNED_FIELDS: [&str; 2] = ["signatures", "unsigned"];

/// Parses uploaded JSON as a canonical JSON object; `what` names it in the error.
pub(crate) fn canonical_object(json: &str, what: &str) -> Result<CanonicalJsonObject, String> {
    match serde_json::from_str::<CanonicalJsonValue>(json) {
        Ok(CanonicalJsonValue::Object(object)) => Ok(object),
        Ok(_) => Err(format!("{what} must be a JSON object")),
        Err(e) => Err(format!("{what} is not valid canonical JSON: {e}")),
    }
}

/// Converts a stored JSON value into a canonical JSON object.
pub(crate) fn stored_object(value: &Value) -> Option<CanonicalJsonObject> {
    match CanonicalJsonValue::try_from(value.clone()) {
        Ok(CanonicalJsonValue::Object(object)) => Some(object),
        _ => None,
    }
}

/// A string field of an object.
pub(crate) fn string_field<'a>(object: &'a CanonicalJsonObject, field: &str) -> Option<&'a str> {
    match object.get(field) {
        Some(CanonicalJsonValue::String(s)) => Some(s),
        _ => None,
    }
}

/// The ed25519 public key `keys["ed25519:<name>"]` of a key object (device or cross-signing).
pub(crate) fn ed25519_key<'a>(object: &'a CanonicalJsonObject, name: &str) -> Option<&'a str> {
    match object.get("keys") {
        Some(CanonicalJsonValue::Object(keys)) => string_field(keys, &format!("ed25519:{name}")),
        _ => None,
    }
}

/// The signature `signatures[signer][key_id]`, if present.
pub(crate) fn signature<'a>(object: &'a CanonicalJsonObject, signer: &UserId, key_id: &str) -> Option<&'a str> {
    let Some(CanonicalJsonValue::Object(signatures)) = object.get("signatures") else { return None };
    let Some(CanonicalJsonValue::Object(by_signer)) = signatures.get(signer.as_str()) else { return None };
    string_field(by_signer, key_id)
}

/// The key ids `signer` signed `object` with.
pub(crate) fn signature_key_ids(object: &CanonicalJsonObject, signer: &UserId) -> Vec<String> {
    let Some(CanonicalJsonValue::Object(signatures)) = object.get("signatures") else { return vec![] };
    let Some(CanonicalJsonValue::Object(by_signer)) = signatures.get(signer.as_str()) else { return vec![] };
    by_signer.keys().cloned().collect()
}

/// Checks that `object` carries a valid signature `signatures[signer]["ed25519:<key_name>"]`
/// made with the ed25519 `public_key` (unpadded base64). Other signatures on the object are
/// not looked at. Returns the signature.
pub(crate) fn verify_signature(
    object: &CanonicalJsonObject,
    signer: &UserId,
    key_name: &str,
    public_key: &str,
) -> Result<String, String> {
    let key_id = format!("ed25519:{key_name}");
    let signature = signature(object, signer, &key_id)
        .ok_or_else(|| format!("no signature by {signer} with key {key_id}"))?
        .to_owned();
    let public_key = Base64::parse(public_key).map_err(|_| format!("public key {key_id} is not valid base64"))?;
    // Verify exactly this one signature: a copy whose `signatures` holds only it, against a key
    // map holding only the signing key.
    let mut only_this = object.clone();
    let by_signer = CanonicalJsonObject::from([(key_id.clone(), CanonicalJsonValue::String(signature.clone()))]);
    let signatures = CanonicalJsonObject::from([(signer.to_string(), CanonicalJsonValue::Object(by_signer))]);
    only_this.insert("signatures".to_owned(), CanonicalJsonValue::Object(signatures));
    let keys = PublicKeyMap::from([(signer.to_string(), [(key_id.clone(), public_key)].into())]);
    verify_json(&keys, &only_this).map_err(|e| format!("invalid signature by {signer} with key {key_id}: {e}"))?;
    Ok(signature)
}

/// Whether two key objects are the same key, ignoring signatures and unsigned data.
pub(crate) fn same_signed_content(a: &CanonicalJsonObject, b: &CanonicalJsonObject) -> bool {
    fn signed_part(o: &CanonicalJsonObject) -> Vec<(&String, &CanonicalJsonValue)> {
        o.iter().filter(|(k, _)| !UNSIGNED_FIELDS.contains(&k.as_str())).collect()
    }
    signed_part(a) == signed_part(b)
}

/// Adds `signatures[signer][key_id] = signature` to a key object.
pub(crate) fn add_signature(object: &mut Value, signer: &str, key_id: &str, signature: &str) {
    let Some(map) = object.as_object_mut() else { return };
    let signatures = map.entry("signatures").or_insert_with(|| Value::Object(Default::default()));
    if !signatures.is_object() {
        *signatures = Value::Object(Default::default());
    }
    if let Some(signatures) = signatures.as_object_mut() {
        let by_signer = signatures.entry(signer).or_insert_with(|| Value::Object(Default::default()));
        if let Some(by_signer) = by_signer.as_object_mut() {
            by_signer.insert(key_id.to_owned(), Value::String(signature.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use ruma::signatures::{Ed25519KeyPair, sign_json};
    use serde_json::json;

    use super::*;

    fn encoded(public_key: [u8; 32]) -> String {
        Base64::<ruma::serde::base64::Standard>::new(public_key.to_vec()).encode()
    }

    fn key_pair(name: &str) -> Ed25519KeyPair {
        let der = Ed25519KeyPair::generate();
        Ed25519KeyPair::from_der(&der, name.to_owned()).expect("key pair")
    }

    #[test]
    fn verifies_one_signature_among_several() {
        let user = ruma::user_id!("@alice:test");
        let (device, other) = (key_pair("DEV"), key_pair("OTHER"));
        let public = encoded(device.public_key());
        let mut object = canonical_object(r#"{"key":"abc","unsigned":{"x":1}}"#, "key").expect("object");
        sign_json(user.as_str(), &device, &mut object).expect("sign");
        sign_json("@bob:test", &other, &mut object).expect("sign");
        assert!(verify_signature(&object, user, "DEV", &public).is_ok());
        let other_public = encoded(other.public_key());
        assert!(verify_signature(&object, user, "DEV", &other_public).is_err(), "wrong key");
        assert!(verify_signature(&object, user, "MISSING", &public).is_err(), "no such signature");
        object.insert("key".into(), CanonicalJsonValue::String("tampered".into()));
        assert!(verify_signature(&object, user, "DEV", &public).is_err(), "content changed");
        assert!(verify_signature(&object, user, "DEV", "not base64!").is_err());
    }

    #[test]
    fn parsing_comparing_and_merging() {
        assert!(canonical_object("[1]", "key").is_err());
        assert!(canonical_object(r#"{"a":1.5}"#, "key").is_err(), "floats are not canonical JSON");
        let a = canonical_object(r#"{"k":1,"signatures":{"x":{}}}"#, "a").expect("a");
        let b = canonical_object(r#"{"k":1,"unsigned":{}}"#, "b").expect("b");
        let c = canonical_object(r#"{"k":2}"#, "c").expect("c");
        assert!(same_signed_content(&a, &b) && !same_signed_content(&a, &c));
        let mut value = json!({ "k": 1, "signatures": { "@a:test": { "ed25519:A": "s1" } } });
        add_signature(&mut value, "@a:test", "ed25519:B", "s2");
        add_signature(&mut value, "@b:test", "ed25519:C", "s3");
        assert_eq!(
            value["signatures"],
            json!({ "@a:test": { "ed25519:A": "s1", "ed25519:B": "s2" }, "@b:test": { "ed25519:C": "s3" } })
        );
        assert_eq!(stored_object(&value).and_then(|o| ed25519_key(&o, "x").map(str::to_owned)), None);
    }
}
