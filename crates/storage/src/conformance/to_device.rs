//! Conformance: to-device queues: expansion to devices, ordering, idempotency per sending
//! device, acknowledgement and deletion with the device.

use ruma::to_device::DeviceIdOrAllDevices;
use serde_json::{Value, json};

use super::{device, new_user, user};
use crate::Storage;
use crate::to_device::ToDeviceTarget;

/// Alice with device `A1`, Bob with `B1` and `B2`.
fn setup(store: &dyn Storage) {
    for (u, devices) in [("@alice:test", &["A1"][..]), ("@bob:test", &["B1", "B2"][..])] {
        store.create_user(&new_user(u), 1_000).expect("create user");
        for d in devices {
            let token = format!("{u}/{d}");
            store.create_session(&user(u), &device(d), None, token.as_bytes(), None, 1_000).expect("create device");
        }
    }
}

fn target(u: &str, d: Option<&str>, content: Value) -> ToDeviceTarget {
    ToDeviceTarget {
        user_id: user(u),
        device: d.map_or(DeviceIdOrAllDevices::AllDevices, |d| DeviceIdOrAllDevices::DeviceId(device(d))),
        content,
    }
}

fn send(store: &dyn Storage, from: (&str, &str), txn: &str, targets: &[ToDeviceTarget]) -> Option<i64> {
    store.queue_to_device(&user(from.0), &device(from.1), txn, "m.test", targets).expect("queue")
}

/// `(sender, type, content, stream)` of a device's messages in `(since, until]`.
fn queue(store: &dyn Storage, u: &str, d: &str, since: i64, until: i64) -> Vec<(String, String, Value, i64)> {
    store
        .to_device_messages(&user(u), &device(d), since, until)
        .expect("read queue")
        .into_iter()
        .map(|m| (m.sender.to_string(), m.kind, m.content, m.stream))
        .collect()
}

fn contents(store: &dyn Storage, u: &str, d: &str, since: i64) -> Vec<Value> {
    queue(store, u, d, since, i64::MAX).into_iter().map(|m| m.2).collect()
}

/// Targets expand to existing devices (`*` to all of them), messages come back in the order
/// they were queued, and only those in the requested range.
pub fn to_device_queues(store: &dyn Storage) {
    setup(store);
    let before = store.max_stream().expect("max_stream");
    let targets = [
        target("@bob:test", Some("B1"), json!({ "n": 1 })),
        target("@bob:test", None, json!({ "n": 2 })),
        target("@bob:test", Some("NOSUCHDEVICE"), json!({ "n": 3 })),
        target("@nobody:test", None, json!({ "n": 4 })),
    ];
    let s1 = send(store, ("@alice:test", "A1"), "t1", &targets).expect("a new transaction");
    assert!(s1 > before, "queued at a new stream position");
    assert_eq!(store.max_stream().expect("max_stream"), s1);
    let alice = "@alice:test".to_owned();
    let kind = "m.test".to_owned();
    assert_eq!(
        queue(store, "@bob:test", "B1", 0, s1),
        [(alice.clone(), kind.clone(), json!({ "n": 1 }), s1), (alice.clone(), kind.clone(), json!({ "n": 2 }), s1)]
    );
    assert_eq!(queue(store, "@bob:test", "B2", 0, s1), [(alice.clone(), kind, json!({ "n": 2 }), s1)]);
    assert!(queue(store, "@alice:test", "A1", 0, s1).is_empty(), "the sender gets nothing");
    assert!(queue(store, "@bob:test", "B1", 0, s1 - 1).is_empty(), "`until` is a bound");
    assert!(queue(store, "@bob:test", "B1", s1, i64::MAX).is_empty(), "`since` is exclusive");

    let s2 = send(store, ("@bob:test", "B2"), "t1", &[target("@bob:test", Some("B1"), json!({ "n": 5 }))])
        .expect("another sender's transaction");
    assert!(s2 > s1);
    assert_eq!(contents(store, "@bob:test", "B1", 0), [json!({ "n": 1 }), json!({ "n": 2 }), json!({ "n": 5 })]);
    assert_eq!(
        queue(store, "@bob:test", "B1", s1, s2),
        [("@bob:test".to_owned(), "m.test".to_owned(), json!({ "n": 5 }), s2)]
    );

    let s3 = send(store, ("@alice:test", "A1"), "empty", &[]).expect("an empty request is a transaction too");
    assert!(s3 > s2);
    assert_eq!(contents(store, "@bob:test", "B1", s2), Vec::<Value>::new());
}

/// A transaction id is used once per sending device; a repeat writes nothing. It is forgotten
/// with the sending device.
pub fn to_device_transaction_ids(store: &dyn Storage) {
    setup(store);
    store.create_session(&user("@alice:test"), &device("A2"), None, b"a2", None, 1_000).expect("second device");
    let to_b1 = |n: i64| [target("@bob:test", Some("B1"), json!({ "n": n }))];
    assert!(send(store, ("@alice:test", "A1"), "txn", &to_b1(1)).is_some());
    let position = store.max_stream().expect("max_stream");
    assert_eq!(send(store, ("@alice:test", "A1"), "txn", &to_b1(2)), None, "a repeat is recognised");
    assert_eq!(store.max_stream().expect("max_stream"), position, "and writes nothing");
    assert_eq!(contents(store, "@bob:test", "B1", 0), [json!({ "n": 1 })]);

    assert!(send(store, ("@alice:test", "A2"), "txn", &to_b1(3)).is_some(), "another device, same id");
    assert!(send(store, ("@bob:test", "B2"), "txn", &to_b1(4)).is_some(), "another user, same id");
    assert!(send(store, ("@alice:test", "A1"), "txn2", &to_b1(5)).is_some(), "another id");
    assert_eq!(contents(store, "@bob:test", "B1", 0), [1, 3, 4, 5].map(|n| json!({ "n": n })));

    store.delete_devices(&user("@alice:test"), &[device("A1")]).expect("delete sender device");
    store.create_session(&user("@alice:test"), &device("A1"), None, b"a1-again", None, 2_000).expect("log in again");
    assert!(send(store, ("@alice:test", "A1"), "txn", &to_b1(6)).is_some(), "a new session of the device");
}

/// Acknowledging deletes a device's messages up to a position and no further, and nothing of
/// other devices; deleting a device drops its queue for good.
pub fn to_device_acknowledgement(store: &dyn Storage) {
    setup(store);
    let all_bob = |n: i64| [target("@bob:test", None, json!({ "n": n }))];
    let s1 = send(store, ("@alice:test", "A1"), "1", &all_bob(1)).expect("queued");
    let s2 = send(store, ("@alice:test", "A1"), "2", &all_bob(2)).expect("queued");
    let bob = user("@bob:test");

    assert_eq!(store.delete_to_device(&bob, &device("B1"), s1 - 1).expect("ack"), 0, "nothing that old");
    assert_eq!(store.delete_to_device(&bob, &device("B1"), s1).expect("ack"), 1);
    assert_eq!(store.delete_to_device(&bob, &device("B1"), s1).expect("ack again"), 0, "acknowledging is idempotent");
    assert_eq!(contents(store, "@bob:test", "B1", 0), [json!({ "n": 2 })]);
    assert_eq!(contents(store, "@bob:test", "B2", 0), [json!({ "n": 1 }), json!({ "n": 2 })], "per device");
    assert_eq!(store.delete_to_device(&bob, &device("B1"), s2).expect("ack"), 1);
    assert!(contents(store, "@bob:test", "B1", 0).is_empty());

    store.delete_devices(&bob, &[device("B2")]).expect("delete device");
    store.create_session(&bob, &device("B2"), None, b"b2-again", None, 2_000).expect("same device id again");
    assert!(contents(store, "@bob:test", "B2", 0).is_empty(), "the queue went with the device");
    let s3 = send(store, ("@alice:test", "A1"), "3", &all_bob(3)).expect("queued");
    assert_eq!(queue(store, "@bob:test", "B2", 0, s3).len(), 1, "the new device gets new messages");
}
