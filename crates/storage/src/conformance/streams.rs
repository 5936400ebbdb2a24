//! Conformance: stream-ordered per-user data: account data, receipts, filters, presence.

use ruma::OwnedUserId;
use serde_json::{Value, json};

use super::{append, create_room, event_id, room, user};
use crate::{ReceiptRecord, Storage};

/// Account data: global and per room, overwrite, change feed, deletion.
pub fn account_data(store: &dyn Storage) {
    let (alice, bob, r) = (user("@alice:test"), user("@bob:test"), room("!r:test"));
    let s1 = store.put_account_data(&alice, None, "m.push_rules", &json!({ "v": 1 })).expect("put global");
    let s2 = store.put_account_data(&alice, Some(&r), "m.push_rules", &json!({ "room": true })).expect("put room");
    let s3 = store.put_account_data(&bob, None, "m.push_rules", &json!({ "bob": 1 })).expect("put bob");
    assert!(s1 < s2 && s2 < s3);
    assert_eq!(store.get_account_data(&alice, None, "m.push_rules").expect("get"), Some(json!({ "v": 1 })));
    assert_eq!(store.get_account_data(&alice, Some(&r), "m.push_rules").expect("get"), Some(json!({ "room": true })));
    assert_eq!(store.get_account_data(&alice, None, "m.other").expect("get"), None);

    let s4 = store.put_account_data(&alice, None, "m.push_rules", &json!({ "v": 2 })).expect("overwrite");
    assert!(s4 > s3);
    assert_eq!(store.get_account_data(&alice, None, "m.push_rules").expect("get"), Some(json!({ "v": 2 })));
    let since = |s| -> Vec<(Option<String>, String, Value, i64)> {
        store
            .account_data_since(&alice, s)
            .expect("since")
            .into_iter()
            .map(|r| (r.room_id.map(|r| r.to_string()), r.kind, r.content, r.stream))
            .collect()
    };
    let mut all = since(0);
    all.sort_by_key(|r| r.3);
    assert_eq!(
        all,
        [
            (Some("!r:test".to_owned()), "m.push_rules".to_owned(), json!({ "room": true }), s2),
            (None, "m.push_rules".to_owned(), json!({ "v": 2 }), s4),
        ],
        "one entry per key, at its latest position; other users' data excluded"
    );
    assert_eq!(since(s2), [(None, "m.push_rules".to_owned(), json!({ "v": 2 }), s4)]);
    assert!(since(s4).is_empty());

    let s5 = store.put_account_data(&alice, Some(&r), "m.push_rules", &Value::Null).expect("delete");
    assert!(s5 > s4, "a deletion is a change with its own position");
    assert_eq!(store.get_account_data(&alice, Some(&r), "m.push_rules").expect("get"), None);
    assert_eq!(since(s4), [(Some("!r:test".to_owned()), "m.push_rules".to_owned(), json!({}), s5)], "reported as {{}}");
    assert_eq!(store.max_stream().expect("max_stream"), s5);
}

/// Receipts: one per (room, user, type, thread), replaced in place; change feed per room.
pub fn receipts(store: &dyn Storage) {
    create_room(store, "!r:test", "r", "@alice:test", "public");
    create_room(store, "!o:test", "o", "@alice:test", "public");
    let receipt = |r: &str, u: &str, kind: &str, thread: Option<&str>, e: &str, ts| ReceiptRecord {
        room_id: room(r),
        user_id: user(u),
        receipt_type: kind.into(),
        thread_id: thread.map(Into::into),
        event_id: event_id(e),
        ts,
        stream: 0,
    };
    let s1 = store.put_receipt(&receipt("!r:test", "@alice:test", "m.read", None, "$e1", 10)).expect("put");
    let s2 = store.put_receipt(&receipt("!r:test", "@alice:test", "m.read", None, "$e2", 20)).expect("replace");
    assert!(s2 > s1);
    let since = |s| -> Vec<(String, String, Option<String>, String, u64, i64)> {
        let mut got: Vec<_> = store
            .receipts_since(&room("!r:test"), s)
            .expect("since")
            .into_iter()
            .inspect(|r| assert_eq!(r.room_id, room("!r:test")))
            .map(|r| (r.user_id.to_string(), r.receipt_type, r.thread_id, r.event_id.to_string(), r.ts, r.stream))
            .collect();
        got.sort_by_key(|r| r.5);
        got
    };
    let row = |u: &str, kind: &str, thread: Option<&str>, e: &str, ts, s| {
        (u.to_owned(), kind.to_owned(), thread.map(str::to_owned), e.to_owned(), ts, s)
    };
    assert_eq!(since(0), [row("@alice:test", "m.read", None, "$e2", 20, s2)], "the receipt was replaced");

    let s3 = store.put_receipt(&receipt("!r:test", "@alice:test", "m.read", Some("main"), "$e3", 30)).expect("put");
    let s4 = store.put_receipt(&receipt("!r:test", "@alice:test", "m.read.private", None, "$e1", 40)).expect("put");
    let s5 = store.put_receipt(&receipt("!r:test", "@bob:test", "m.read", None, "$e1", 50)).expect("put");
    store.put_receipt(&receipt("!o:test", "@alice:test", "m.read", None, "$x", 60)).expect("other room");
    assert_eq!(
        since(s2),
        [
            row("@alice:test", "m.read", Some("main"), "$e3", 30, s3),
            row("@alice:test", "m.read.private", None, "$e1", 40, s4),
            row("@bob:test", "m.read", None, "$e1", 50, s5),
        ],
        "threads and types are separate receipts; other rooms excluded"
    );
    assert_eq!(since(0).len(), 4);
}

/// Filters: stored per user under fresh ids.
pub fn filters(store: &dyn Storage) {
    let (alice, bob) = (user("@alice:test"), user("@bob:test"));
    let f1 = store.create_filter(&alice, &json!({ "room": { "timeline": { "limit": 10 } } })).expect("create");
    let f2 = store.create_filter(&alice, &json!({ "presence": { "types": [] } })).expect("create");
    let fb = store.create_filter(&bob, &json!({ "bob": true })).expect("create");
    assert_ne!(f1, f2);
    assert_eq!(store.get_filter(&alice, &f1).expect("get"), Some(json!({ "room": { "timeline": { "limit": 10 } } })));
    assert_eq!(store.get_filter(&alice, &f2).expect("get"), Some(json!({ "presence": { "types": [] } })));
    assert_eq!(store.get_filter(&bob, &fb).expect("get"), Some(json!({ "bob": true })));
    if fb != f1 {
        assert_eq!(store.get_filter(&bob, &f1).expect("get"), None, "filters are per user");
    }
    assert_eq!(store.get_filter(&alice, "not-a-filter").expect("get"), None);
}

/// Presence: upsert with a new position each time; change feed over a set of users.
pub fn presence(store: &dyn Storage) {
    let (alice, bob, carol) = (user("@alice:test"), user("@bob:test"), user("@carol:test"));
    assert_eq!(store.get_presence(&alice).expect("get"), None);
    assert_eq!(store.latest_presence_stream().expect("latest"), 0);
    let s1 = store.put_presence(&alice, "online", Some("hi"), 1_000).expect("put");
    assert_eq!(store.get_presence(&alice).expect("get"), Some(("online".into(), Some("hi".into()), 1_000, s1)));
    let s2 = store.put_presence(&alice, "unavailable", None, 2_000).expect("put again");
    assert!(s2 > s1);
    assert_eq!(store.latest_presence_stream().expect("latest"), s2);
    assert_eq!(store.get_presence(&alice).expect("get"), Some(("unavailable".into(), None, 2_000, s2)));

    let since = |users: &[OwnedUserId], s| -> Vec<(String, String, i64)> {
        let mut got: Vec<_> = store
            .presence_since(users, s)
            .expect("since")
            .into_iter()
            .map(|(u, presence, _, _, stream)| (u.to_string(), presence, stream))
            .collect();
        got.sort_by_key(|r| r.2);
        got
    };
    let both = [alice.clone(), bob.clone()];
    assert_eq!(since(&both, 0), [("@alice:test".into(), "unavailable".into(), s2)]);
    assert!(since(&both, s2).is_empty());
    let s3 = store.put_presence(&bob, "online", None, 3_000).expect("put bob");
    let s4 = store.put_presence(&carol, "online", None, 3_000).expect("put carol");
    assert_eq!(since(&both, s2), [("@bob:test".into(), "online".into(), s3)], "only the users asked about");
    assert_eq!(since(std::slice::from_ref(&alice), s2), []);
    assert_eq!(since(&[alice, bob, carol], 0).len(), 3);
    assert_eq!(store.max_stream().expect("max_stream"), s4);
}

/// Events, account data, receipts and presence share one increasing stream.
pub fn stream_is_shared(store: &dyn Storage) {
    let mut c = create_room(store, "!r:test", "r", "@alice:test", "public");
    let alice = user("@alice:test");
    let e1 = append(store, &[c.message("$m1", "@alice:test", "x")])[0];
    let a = store.put_account_data(&alice, None, "m.x", &json!({})).expect("account data");
    let receipt = ReceiptRecord {
        room_id: room("!r:test"),
        user_id: alice.clone(),
        receipt_type: "m.read".into(),
        thread_id: None,
        event_id: event_id("$m1"),
        ts: 1,
        stream: 0,
    };
    let r = store.put_receipt(&receipt).expect("receipt");
    let p = store.put_presence(&alice, "online", None, 1).expect("presence");
    let e2 = append(store, &[c.message("$m2", "@alice:test", "y")])[0];
    let order = [e1, a, r, p, e2];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "one shared stream: {order:?}");
    assert_eq!(store.max_stream().expect("max_stream"), e2);
}
