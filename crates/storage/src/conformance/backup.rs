//! Conformance: server-side key backup: versions, the replacement rule for keys, scopes, etags.

use serde_json::json;

use super::{room, user};
use crate::Storage;
use crate::backup::{BackupCounts, BackupKey, KeyScope, KeyUpload};

const ALGORITHM: &str = "m.megolm_backup.v1.curve25519-aes-sha2";

fn key(room_id: &str, session_id: &str, index: u64, forwarded: u64, verified: bool, tag: &str) -> BackupKey {
    BackupKey {
        room_id: room(room_id),
        session_id: session_id.into(),
        first_message_index: index,
        forwarded_count: forwarded,
        is_verified: verified,
        session_data: json!({ "ciphertext": tag }),
    }
}

fn stored(upload: KeyUpload) -> BackupCounts {
    match upload {
        KeyUpload::Stored(counts) => counts,
        other => panic!("keys not stored: {other:?}"),
    }
}

/// Versions: numbering per user, current version, auth data updates, deletion without reuse.
pub fn backup_versions(store: &dyn Storage) {
    let (alice, bob) = (user("@alice:test"), user("@bob:test"));
    assert_eq!(store.get_backup_version(&alice, None).expect("get"), None, "no backup yet");
    let v1 = store.create_backup_version(&alice, ALGORITHM, &json!({ "public_key": "k1" })).expect("create");
    let v2 = store.create_backup_version(&alice, ALGORITHM, &json!({ "public_key": "k2" })).expect("create");
    assert_eq!((v1, v2), (1, 2));
    assert_eq!(store.create_backup_version(&bob, "custom", &json!({})).expect("create"), 1, "numbered per user");

    let current = store.get_backup_version(&alice, None).expect("get").expect("current version");
    assert_eq!(
        (current.version, current.algorithm.as_str(), &current.auth_data, current.etag, current.count),
        (2, ALGORITHM, &json!({ "public_key": "k2" }), 0, 0)
    );
    let first = store.get_backup_version(&alice, Some(1)).expect("get").expect("version 1");
    assert_eq!(first.auth_data, json!({ "public_key": "k1" }));
    assert_eq!(store.get_backup_version(&alice, Some(3)).expect("get"), None);
    assert_eq!(store.get_backup_version(&alice, Some(u64::MAX)).expect("get"), None);

    assert!(store.update_backup_auth_data(&alice, 1, &json!({ "public_key": "k1b" })).expect("update"));
    let first = store.get_backup_version(&alice, Some(1)).expect("get").expect("version 1");
    assert_eq!((first.auth_data, first.etag), (json!({ "public_key": "k1b" }), 0), "auth data is not a key change");
    assert!(!store.update_backup_auth_data(&alice, 9, &json!({})).expect("update unknown"));

    stored(store.put_backup_keys(&alice, 2, &[key("!r:test", "s1", 0, 0, false, "a")]).expect("put"));
    assert!(store.delete_backup_version(&alice, 2).expect("delete"));
    assert!(!store.delete_backup_version(&alice, 2).expect("delete again"), "already deleted");
    assert!(!store.update_backup_auth_data(&alice, 2, &json!({})).expect("update deleted"));
    assert_eq!(store.get_backup_version(&alice, Some(2)).expect("get"), None, "deleted versions are gone");
    assert_eq!(store.get_backup_keys(&alice, 2, KeyScope::All).expect("keys"), None);
    assert_eq!(store.get_backup_version(&alice, None).expect("get").map(|v| v.version), Some(1), "falls back");

    let v3 = store.create_backup_version(&alice, ALGORITHM, &json!({})).expect("create");
    assert_eq!(v3, 3, "a deleted version's number is not reused");
    assert!(store.delete_backup_version(&alice, 3).expect("delete"));
    assert!(store.delete_backup_version(&alice, 1).expect("delete"));
    assert_eq!(store.get_backup_version(&alice, None).expect("get"), None);
    assert_eq!(store.create_backup_version(&alice, ALGORITHM, &json!({})).expect("create"), 4);
    assert_eq!(store.get_backup_version(&bob, None).expect("get").map(|v| v.version), Some(1), "bob untouched");
}

/// Keys: only the current version takes uploads; the better key wins; etags advance on change.
pub fn backup_key_replacement(store: &dyn Storage) {
    let alice = user("@alice:test");
    store.create_backup_version(&alice, ALGORITHM, &json!({})).expect("create");
    store.create_backup_version(&alice, ALGORITHM, &json!({})).expect("create");
    let k = |i, f, v, tag| key("!r:test", "s", i, f, v, tag);
    assert_eq!(
        store.put_backup_keys(&alice, 1, &[k(0, 0, true, "x")]).expect("put"),
        KeyUpload::NotCurrent { current: 2 }
    );
    assert_eq!(store.put_backup_keys(&alice, 5, &[k(0, 0, true, "x")]).expect("put"), KeyUpload::UnknownVersion);
    assert_eq!(store.get_backup_version(&alice, Some(1)).expect("get").map(|v| (v.etag, v.count)), Some((0, 0)));

    let put = |key: BackupKey| stored(store.put_backup_keys(&alice, 2, &[key]).expect("put"));
    let current = || {
        let keys = store.get_backup_keys(&alice, 2, KeyScope::Session(&room("!r:test"), "s")).expect("get");
        keys.expect("live version").pop().expect("stored key")
    };
    assert_eq!(put(k(5, 2, false, "a")), BackupCounts { etag: 1, count: 1 });
    assert_eq!(put(k(5, 2, false, "tie")), BackupCounts { etag: 1, count: 1 }, "a tie keeps the stored key");
    assert_eq!(current().session_data, json!({ "ciphertext": "a" }));
    assert_eq!(put(k(5, 3, false, "more-forwarded")).etag, 1);
    assert_eq!(put(k(5, 1, false, "less-forwarded")).etag, 2);
    assert_eq!(current(), k(5, 1, false, "less-forwarded"));
    assert_eq!(put(k(6, 0, false, "later-index")).etag, 2, "a higher index loses despite fewer forwards");
    assert_eq!(put(k(4, 9, false, "earlier-index")).etag, 3, "a lower index wins despite more forwards");
    assert_eq!(current(), k(4, 9, false, "earlier-index"));
    assert_eq!(put(k(9, 9, true, "verified")).etag, 4, "verified beats unverified");
    assert_eq!(current(), k(9, 9, true, "verified"));
    assert_eq!(put(k(0, 0, false, "unverified")).etag, 4, "unverified never replaces verified");
    assert_eq!(put(k(8, 9, true, "verified-earlier")).etag, 5);
    assert_eq!(current(), k(8, 9, true, "verified-earlier"));

    let batch = [key("!r:test", "t", 0, 0, false, "t"), key("!o:test", "u", 0, 0, false, "u"), k(9, 9, false, "no")];
    assert_eq!(stored(store.put_backup_keys(&alice, 2, &batch).expect("put")), BackupCounts { etag: 6, count: 3 });
    assert_eq!(stored(store.put_backup_keys(&alice, 2, &[]).expect("put")), BackupCounts { etag: 6, count: 3 });
    let version = store.get_backup_version(&alice, None).expect("get").expect("current");
    assert_eq!((version.version, version.etag, version.count), (2, 6, 3));
}

/// Scopes: reading and deleting all keys, a room's, or one session's; only one user's, only
/// one version's.
pub fn backup_key_scopes(store: &dyn Storage) {
    let (alice, bob) = (user("@alice:test"), user("@bob:test"));
    let (r, o) = (room("!r:test"), room("!o:test"));
    store.create_backup_version(&alice, ALGORITHM, &json!({})).expect("create");
    store.create_backup_version(&bob, ALGORITHM, &json!({})).expect("create");
    let keys = [
        key("!r:test", "s2", 0, 0, false, "r2"),
        key("!r:test", "s1", 0, 0, false, "r1"),
        key("!o:test", "s1", 0, 0, false, "o1"),
    ];
    assert_eq!(stored(store.put_backup_keys(&alice, 1, &keys).expect("put")), BackupCounts { etag: 1, count: 3 });
    stored(store.put_backup_keys(&bob, 1, &[key("!r:test", "s1", 0, 0, false, "bob")]).expect("put"));

    let get = |scope| -> Vec<(String, String)> {
        let keys = store.get_backup_keys(&alice, 1, scope).expect("get").expect("live version");
        keys.into_iter().map(|k| (k.room_id.to_string(), k.session_id)).collect()
    };
    let pair = |r: &str, s: &str| (r.to_owned(), s.to_owned());
    assert_eq!(get(KeyScope::All), [pair("!o:test", "s1"), pair("!r:test", "s1"), pair("!r:test", "s2")]);
    assert_eq!(get(KeyScope::Room(&r)), [pair("!r:test", "s1"), pair("!r:test", "s2")]);
    assert_eq!(get(KeyScope::Session(&r, "s2")), [pair("!r:test", "s2")]);
    assert!(get(KeyScope::Session(&r, "nope")).is_empty());
    assert!(get(KeyScope::Room(&room("!none:test"))).is_empty());
    assert_eq!(store.get_backup_keys(&alice, 2, KeyScope::All).expect("get"), None, "no such version");

    let delete = |scope| store.delete_backup_keys(&alice, 1, scope).expect("delete").expect("live version");
    assert_eq!(delete(KeyScope::Session(&r, "nope")), BackupCounts { etag: 1, count: 3 }, "nothing deleted");
    assert_eq!(delete(KeyScope::Session(&r, "s2")), BackupCounts { etag: 2, count: 2 });
    assert_eq!(delete(KeyScope::Room(&o)), BackupCounts { etag: 3, count: 1 });
    assert_eq!(delete(KeyScope::All), BackupCounts { etag: 4, count: 0 });
    assert_eq!(store.delete_backup_keys(&alice, 7, KeyScope::All).expect("delete"), None);

    let bobs = store.get_backup_keys(&bob, 1, KeyScope::All).expect("get").expect("live version");
    assert_eq!(bobs, [key("!r:test", "s1", 0, 0, false, "bob")], "other users' backups untouched");
}
