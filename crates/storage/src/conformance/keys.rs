//! Conformance: end-to-end encryption keys: uploads, claims, cross-signing, signatures and the
//! device-list change stream.

use std::collections::BTreeMap;

use ruma::OwnedUserId;
use serde_json::{Value, json};

use super::{append, create_room, device, is_conflict, new_user, user};
use crate::keys::{
    CrossSigningKey, CrossSigningKeys, DeviceListChanges, KeyClaim, KeySignature, KeyUpload, UploadOutcome,
};
use crate::{Storage, StorageError};

/// Creates the accounts and logs each `(user, device)` in.
fn sessions(store: &dyn Storage, devices: &[(&str, &str)]) {
    for (i, (user_id, device_id)) in devices.iter().enumerate() {
        if store.get_user(&user(user_id)).expect("get_user").is_none() {
            store.create_user(&new_user(user_id), 1).expect("create user");
        }
        let token = format!("token-{i}");
        store.create_session(&user(user_id), &device(device_id), None, token.as_bytes(), None, 1).expect("session");
    }
}

fn device_keys(user_id: &str, device_id: &str, tag: &str) -> Value {
    json!({ "user_id": user_id, "device_id": device_id, "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
            "keys": { format!("ed25519:{device_id}"): tag }, "signatures": {} })
}

fn otk(n: u32) -> (String, Value) {
    (format!("signed_curve25519:K{n}"), json!({ "key": format!("key{n}"), "signatures": {} }))
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn claim(user_id: &str, device_id: &str) -> KeyClaim {
    KeyClaim { user_id: user(user_id), device_id: device(device_id), algorithm: "signed_curve25519".into() }
}

fn users(ids: &[&str]) -> Vec<OwnedUserId> {
    ids.iter().map(|id| user(id)).collect()
}

/// Device keys, one-time keys and fallback keys: upload, idempotency, conflicts, counts.
pub fn key_uploads(store: &dyn Storage) {
    let (alice, dev) = (user("@alice:test"), device("DEV"));
    sessions(store, &[("@alice:test", "DEV")]);
    assert_eq!(store.device_keys(&alice, &dev).expect("device_keys"), None);
    let first = KeyUpload {
        device_keys: Some(device_keys("@alice:test", "DEV", "a")),
        one_time_keys: vec![otk(1), otk(2)],
        fallback_keys: vec![("signed_curve25519:F1".into(), json!({ "key": "f1", "fallback": true }))],
    };
    let before = store.max_stream().expect("max_stream");
    let outcome = store.upload_keys(&alice, &dev, &first).expect("upload");
    assert_eq!(
        outcome,
        UploadOutcome { one_time_key_counts: counts(&[("signed_curve25519", 2)]), device_list_changed: true }
    );
    assert!(store.max_stream().expect("max_stream") > before, "the device-list change has a stream position");
    assert_eq!(store.device_keys(&alice, &dev).expect("device_keys"), Some(device_keys("@alice:test", "DEV", "a")));
    assert_eq!(store.unused_fallback_key_algorithms(&alice, &dev).expect("fallback"), ["signed_curve25519"]);

    let again = store.upload_keys(&alice, &dev, &first).expect("identical re-upload");
    assert_eq!(
        again,
        UploadOutcome { one_time_key_counts: counts(&[("signed_curve25519", 2)]), device_list_changed: false }
    );

    let mut conflicting = KeyUpload { one_time_keys: vec![otk(3), otk(1)], ..KeyUpload::default() };
    conflicting.one_time_keys[1].1 = json!({ "key": "other", "signatures": {} });
    assert!(is_conflict(store.upload_keys(&alice, &dev, &conflicting)), "same id, different key");
    assert_eq!(
        store.one_time_key_counts(&alice, &dev).expect("counts"),
        counts(&[("signed_curve25519", 2)]),
        "the whole upload was refused, K3 included"
    );

    let changed = KeyUpload { device_keys: Some(device_keys("@alice:test", "DEV", "b")), ..KeyUpload::default() };
    assert!(store.upload_keys(&alice, &dev, &changed).expect("new device keys").device_list_changed);
    assert_eq!(store.device_keys(&alice, &dev).expect("device_keys"), Some(device_keys("@alice:test", "DEV", "b")));
    let other = KeyUpload { one_time_keys: vec![("curve25519:X".into(), json!("plain"))], ..KeyUpload::default() };
    let outcome = store.upload_keys(&alice, &dev, &other).expect("other algorithm");
    assert_eq!(outcome.one_time_key_counts, counts(&[("curve25519", 1), ("signed_curve25519", 2)]));
}

/// Claims: oldest one-time key first, each handed out once, then the fallback key, repeatedly,
/// flagged used until a new fallback key is uploaded.
pub fn key_claims(store: &dyn Storage) {
    let (alice, dev) = (user("@alice:test"), device("DEV"));
    sessions(store, &[("@alice:test", "DEV"), ("@bob:test", "NOKEYS")]);
    let upload = KeyUpload {
        one_time_keys: vec![otk(2), otk(1)],
        fallback_keys: vec![("signed_curve25519:F1".into(), json!({ "key": "f1", "fallback": true }))],
        ..KeyUpload::default()
    };
    store.upload_keys(&alice, &dev, &upload).expect("upload");
    assert!(store.claim_keys(&[]).expect("nothing to claim").is_empty());
    let claimed = store.claim_keys(&[claim("@alice:test", "DEV"), claim("@bob:test", "NOKEYS")]).expect("claim");
    assert_eq!(claimed.len(), 1, "a device without keys gets nothing");
    assert_eq!((claimed[0].key_id.as_str(), claimed[0].fallback), ("signed_curve25519:K2", false), "oldest first");
    assert_eq!(claimed[0].key, otk(2).1);
    let claimed = store.claim_keys(&[claim("@alice:test", "DEV"), claim("@alice:test", "DEV")]).expect("claim");
    let got: Vec<(&str, bool)> = claimed.iter().map(|c| (c.key_id.as_str(), c.fallback)).collect();
    assert_eq!(got, [("signed_curve25519:K1", false), ("signed_curve25519:F1", true)]);
    assert!(store.one_time_key_counts(&alice, &dev).expect("counts").is_empty());
    assert!(store.unused_fallback_key_algorithms(&alice, &dev).expect("fallback").is_empty(), "used");
    let claimed = store.claim_keys(&[claim("@alice:test", "DEV")]).expect("claim again");
    assert_eq!((claimed[0].key_id.as_str(), claimed[0].fallback), ("signed_curve25519:F1", true), "handed out again");

    let same_fallback = KeyUpload { fallback_keys: upload.fallback_keys.clone(), ..KeyUpload::default() };
    store.upload_keys(&alice, &dev, &same_fallback).expect("same fallback again");
    assert!(store.unused_fallback_key_algorithms(&alice, &dev).expect("fallback").is_empty(), "still used");
    let new_fallback = KeyUpload {
        fallback_keys: vec![("signed_curve25519:F2".into(), json!({ "key": "f2", "fallback": true }))],
        ..KeyUpload::default()
    };
    store.upload_keys(&alice, &dev, &new_fallback).expect("new fallback");
    assert_eq!(store.unused_fallback_key_algorithms(&alice, &dev).expect("fallback"), ["signed_curve25519"]);
    let claimed = store.claim_keys(&[claim("@alice:test", "DEV")]).expect("claim");
    assert_eq!(claimed[0].key_id, "signed_curve25519:F2", "the new fallback replaced the old one");

    store.delete_devices(&alice, std::slice::from_ref(&dev)).expect("delete device");
    assert!(store.claim_keys(&[claim("@alice:test", "DEV")]).expect("claim").is_empty(), "keys went with the device");
    assert_eq!(store.device_keys(&alice, &dev).expect("device_keys"), None);
}

fn cs_key(public_key: &str, usage: &str) -> CrossSigningKey {
    CrossSigningKey {
        public_key: public_key.into(),
        json: json!({ "usage": [usage], "keys": { format!("ed25519:{public_key}"): public_key } }),
    }
}

fn signature(signer: &str, signer_key: &str, target: &str, target_key: &str, sig: &str) -> KeySignature {
    KeySignature {
        signer_user_id: user(signer),
        signer_key_id: format!("ed25519:{signer_key}"),
        target_user_id: user(target),
        target_key_id: target_key.into(),
        signature: sig.into(),
    }
}

/// Cross-signing keys (first upload guarded by `only_if_no_master`), signatures and what
/// `query_keys` returns.
pub fn cross_signing(store: &dyn Storage) {
    let (alice, bob) = (user("@alice:test"), user("@bob:test"));
    sessions(store, &[("@alice:test", "A1"), ("@bob:test", "B1")]);
    let keys = KeyUpload { device_keys: Some(device_keys("@alice:test", "A1", "a")), ..KeyUpload::default() };
    store.upload_keys(&alice, &device("A1"), &keys).expect("upload");
    store.set_device_display_name(&alice, &device("A1"), Some("Phone")).expect("rename");

    let first = CrossSigningKeys {
        master: Some(cs_key("M1", "master")),
        self_signing: Some(cs_key("S1", "self_signing")),
        user_signing: Some(cs_key("U1", "user_signing")),
    };
    assert!(store.put_cross_signing_keys(&alice, &first, true).expect("first upload"));
    let second = CrossSigningKeys { master: Some(cs_key("M2", "master")), ..CrossSigningKeys::default() };
    assert!(!store.put_cross_signing_keys(&alice, &second, true).expect("refused"), "a master key exists");
    assert_eq!(store.cross_signing_keys(&alice).expect("keys"), first);
    store
        .put_cross_signing_keys(
            &bob,
            &CrossSigningKeys { master: Some(cs_key("BM", "master")), ..first.clone() },
            false,
        )
        .expect("bob's keys");

    store
        .add_key_signatures(&[
            signature("@alice:test", "S1", "@alice:test", "A1", "sig-device"),
            signature("@alice:test", "A1", "@alice:test", "M1", "sig-master"),
            signature("@alice:test", "U1", "@bob:test", "BM", "sig-bob"),
        ])
        .expect("signatures");
    let all = store.query_keys(&users(&["@alice:test", "@bob:test", "@nobody:test", "@alice:test"])).expect("query");
    assert_eq!(all.len(), 3, "one entry per distinct user, unknown users included");
    assert!(all[&user("@nobody:test")].devices.is_empty() && all[&user("@nobody:test")].cross_signing.master.is_none());
    let a = &all[&alice];
    assert_eq!(a.devices.len(), 1);
    assert_eq!((a.devices[0].device_id.as_str(), a.devices[0].display_name.as_deref()), ("A1", Some("Phone")));
    assert_eq!(a.cross_signing, first);
    let sigs: Vec<(&str, &str)> =
        a.signatures.iter().map(|s| (s.target_key_id.as_str(), s.signature.as_str())).collect();
    assert_eq!(sigs, [("A1", "sig-device"), ("M1", "sig-master")]);
    assert_eq!(all[&bob].signatures, [signature("@alice:test", "U1", "@bob:test", "BM", "sig-bob")]);

    let replaced = CrossSigningKeys { self_signing: Some(cs_key("S2", "self_signing")), ..CrossSigningKeys::default() };
    assert!(store.put_cross_signing_keys(&alice, &replaced, false).expect("replace"));
    let keys = store.cross_signing_keys(&alice).expect("keys");
    assert_eq!((keys.master, keys.self_signing), (first.master.clone(), replaced.self_signing));
    let sigs = &store.query_keys(std::slice::from_ref(&alice)).expect("query")[&alice].signatures;
    assert_eq!(sigs.len(), 1, "the old self-signing key's signature is gone: {sigs:?}");
    let changed = KeyUpload { device_keys: Some(device_keys("@alice:test", "A1", "new")), ..KeyUpload::default() };
    store.upload_keys(&alice, &device("A1"), &changed).expect("new device keys");
    store.add_key_signatures(&[signature("@alice:test", "S2", "@alice:test", "A1", "s")]).expect("sign");
    store.delete_devices(&alice, &[device("A1")]).expect("delete");
    let a = &store.query_keys(std::slice::from_ref(&alice)).expect("query")[&alice];
    let targets: Vec<&str> = a.signatures.iter().map(|s| s.target_key_id.as_str()).collect();
    assert!(a.devices.is_empty());
    assert_eq!(targets, ["M1"], "device signatures go with the device");
}

fn changes(store: &dyn Storage, who: &str, since: i64) -> (Vec<String>, Vec<String>) {
    let until = store.max_stream().expect("max_stream");
    let DeviceListChanges { changed, left } = store.device_list_changes(&user(who), since, until).expect("changes");
    (changed.iter().map(ToString::to_string).collect(), left.iter().map(ToString::to_string).collect())
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// The device-list change stream: key uploads, joins, leaves, deleted devices and signatures,
/// seen by exactly the users who share a room.
pub fn device_lists(store: &dyn Storage) {
    let (a, b, c) = ("@alice:test", "@bob:test", "@carol:test");
    sessions(store, &[(a, "A1"), (b, "B1"), (b, "B2"), (c, "C1")]);
    let upload = |who: &str, dev: &str, tag: &str| {
        let keys = KeyUpload { device_keys: Some(device_keys(who, dev, tag)), ..KeyUpload::default() };
        store.upload_keys(&user(who), &device(dev), &keys).expect("upload");
    };
    let none = (vec![], vec![]);
    let now = || store.max_stream().expect("max_stream");

    let s0 = now();
    upload(a, "A1", "a");
    assert_eq!(changes(store, a, s0), (strings(&[a]), vec![]), "one's own changes, even alone");
    assert_eq!(changes(store, b, s0), none, "not shared with strangers");
    let mut room = create_room(store, "!r:test", "r", a, "public");
    let s1 = now();
    append(store, &[room.member("$r-bob", b, "join")]);
    assert_eq!(changes(store, a, s1), (strings(&[b]), vec![]), "a newcomer's devices");
    assert_eq!(changes(store, b, s1), (strings(&[a]), vec![]), "everyone in the room one joined");
    assert_eq!(changes(store, c, s1), none);
    let s2 = now();
    assert_eq!(store.device_list_changes(&user(a), s2, s2).expect("empty window"), DeviceListChanges::default());

    upload(b, "B1", "b");
    assert_eq!(changes(store, a, s2), (strings(&[b]), vec![]));
    assert_eq!(changes(store, c, s2), none);
    assert_eq!(changes(store, a, now()), none, "window is exclusive of since");
    let s3 = now();
    store.delete_devices(&user(b), &[device("B2"), device("NOPE")]).expect("delete");
    assert_eq!(changes(store, a, s3), (strings(&[b]), vec![]), "a deleted device");
    let s4 = now();
    store.delete_devices(&user(b), &[device("NOPE")]).expect("delete nothing");
    assert_eq!(
        store.delete_devices_except(&user(c), Some(&device("C1"))).expect("none to delete"),
        Vec::<ruma::OwnedDeviceId>::new()
    );
    assert_eq!(changes(store, a, s4), none, "deleting nothing changes nothing");

    store
        .put_cross_signing_keys(
            &user(b),
            &CrossSigningKeys { master: Some(cs_key("BM", "master")), ..Default::default() },
            false,
        )
        .expect("bob's master key");
    let s5 = now();
    store.add_key_signatures(&[signature(a, "U1", b, "BM", "sig")]).expect("alice signs bob");
    assert_eq!(changes(store, a, s5), (strings(&[b]), vec![]), "the signer sees the signed user change");
    assert_eq!(changes(store, b, s5), none, "nobody else does");

    let mut other = create_room(store, "!o:test", "o", c, "public");
    append(store, &[other.member("$o-alice", a, "join"), other.member("$o-bob", b, "join")]);
    let s6 = now();
    append(store, &[room.member("$r-bob-leaves", b, "leave")]);
    assert_eq!(changes(store, a, s6), none, "still sharing a room");
    let s7 = now();
    append(store, &[other.member("$o-bob-leaves", b, "leave")]);
    upload(b, "B1", "b2");
    assert_eq!(changes(store, a, s7), (vec![], strings(&[b])), "the last shared room left");
    assert_eq!(changes(store, b, s7), (strings(&[b]), strings(&[a, c])));
    assert_eq!(changes(store, c, s7), (vec![], strings(&[b])));
    assert_eq!(changes(store, a, s6), (vec![], strings(&[b])));
    let s8 = now();
    append(store, &[room.member("$r-alice-leaves", a, "leave")]);
    assert_eq!(changes(store, a, s8), none, "nobody left in that room to be told about");
    assert_eq!(changes(store, c, s8), none, "alice and carol still share a room");
    let s9 = now();
    append(store, &[other.member("$o-alice-leaves", a, "leave")]);
    assert_eq!(changes(store, a, s9), (vec![], strings(&[c])), "one's own leave");
    assert_eq!(changes(store, c, s9), (vec![], strings(&[a])));
    let err =
        store.upload_keys(&user(a), &device("GONE"), &KeyUpload { device_keys: Some(json!({})), ..Default::default() });
    assert!(matches!(err, Err(StorageError::Backend(_) | StorageError::Conflict(_))), "keys need a device: {err:?}");
}
