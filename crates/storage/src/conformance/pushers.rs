//! Conformance: pushers: one per user, application and pushkey, replaced in full, taken away
//! from other users unless appended, and deleted with the device that set them.

use serde_json::json;

use super::{device, new_user, user};
use crate::{PusherRecord, Storage};

/// Alice with devices `A1` and `A2`, Bob with `B1`.
fn setup(store: &dyn Storage) {
    for (u, devices) in [("@alice:test", &["A1", "A2"][..]), ("@bob:test", &["B1"][..])] {
        store.create_user(&new_user(u), 1_000).expect("create user");
        for d in devices {
            let token = format!("{u}/{d}");
            store.create_session(&user(u), &device(d), None, token.as_bytes(), None, 1_000).expect("create device");
        }
    }
}

fn pusher(u: &str, d: &str, app_id: &str, pushkey: &str, name: &str) -> PusherRecord {
    PusherRecord {
        user_id: user(u),
        device_id: device(d),
        app_id: app_id.into(),
        pushkey: pushkey.into(),
        kind: "http".into(),
        app_display_name: name.into(),
        device_display_name: format!("{d}'s phone"),
        profile_tag: None,
        lang: "en".into(),
        data: json!({ "url": "https://push.test/_matrix/push/v1/notify", "format": "event_id_only" }),
    }
}

fn set(store: &dyn Storage, record: &PusherRecord, append: bool) {
    assert!(store.set_pusher(record, append).expect("set pusher"), "the device exists");
}

/// `(app_id, pushkey)` of a user's pushers, in the order listed.
fn keys(store: &dyn Storage, u: &str) -> Vec<(String, String)> {
    store.pushers(&user(u)).expect("pushers").into_iter().map(|p| (p.app_id, p.pushkey)).collect()
}

fn key(app_id: &str, pushkey: &str) -> (String, String) {
    (app_id.into(), pushkey.into())
}

/// Pushers are stored and read back whole, per user, ordered by application then pushkey;
/// setting the same `(app_id, pushkey)` again replaces every field, the device included.
pub fn pushers_per_user(store: &dyn Storage) {
    setup(store);
    assert!(store.pushers(&user("@alice:test")).expect("pushers").is_empty(), "none yet");

    let mut first = pusher("@alice:test", "A1", "org.app", "key-b", "App");
    first.profile_tag = Some("tag".into());
    first.data = json!({ "url": "https://push.test/_matrix/push/v1/notify", "nested": { "kept": [1, 2] } });
    set(store, &first, false);
    let mut email = pusher("@alice:test", "A1", "m.email", "alice@mail.test", "Email");
    email.kind = "email".into();
    email.data = json!({});
    set(store, &email, false);
    set(store, &pusher("@alice:test", "A1", "org.app", "key-a", "App"), false);
    assert_eq!(store.pushers(&user("@alice:test")).expect("pushers")[2], first, "read back whole");
    assert_eq!(
        keys(store, "@alice:test"),
        [key("m.email", "alice@mail.test"), key("org.app", "key-a"), key("org.app", "key-b")]
    );
    assert!(keys(store, "@bob:test").is_empty(), "pushers are per user");

    let mut replacement = pusher("@alice:test", "A2", "org.app", "key-b", "App 2");
    replacement.lang = "fr".into();
    replacement.data = json!({ "url": "http://other.test/_matrix/push/v1/notify" });
    set(store, &replacement, false);
    let listed = store.pushers(&user("@alice:test")).expect("pushers");
    assert_eq!(listed.len(), 3, "replaced, not added");
    assert_eq!(listed[2], replacement, "every field replaced, profile tag and device included");

    assert!(
        !store.set_pusher(&pusher("@alice:test", "NOSUCHDEVICE", "org.app", "key-c", "App"), false).expect("set"),
        "a pusher needs an existing device"
    );
    assert!(
        !store.set_pusher(&pusher("@alice:test", "B1", "org.app", "key-c", "App"), false).expect("set"),
        "of its own user"
    );
    assert_eq!(keys(store, "@alice:test").len(), 3, "nothing written");
}

/// Without `append`, setting a pusher deletes other users' pushers with the same application
/// and pushkey (and nothing else); with it, they stay.
pub fn pushers_append(store: &dyn Storage) {
    setup(store);
    set(store, &pusher("@alice:test", "A1", "org.app", "shared", "App"), false);
    set(store, &pusher("@alice:test", "A1", "org.app", "alice-only", "App"), false);
    set(store, &pusher("@alice:test", "A1", "org.other", "shared", "Other"), false);

    set(store, &pusher("@bob:test", "B1", "org.app", "shared", "App"), true);
    assert_eq!(keys(store, "@bob:test"), [key("org.app", "shared")]);
    assert_eq!(keys(store, "@alice:test").len(), 3, "appended: Alice keeps hers");

    set(store, &pusher("@bob:test", "B1", "org.app", "shared", "App"), false);
    assert_eq!(keys(store, "@bob:test"), [key("org.app", "shared")]);
    assert_eq!(
        keys(store, "@alice:test"),
        [key("org.app", "alice-only"), key("org.other", "shared")],
        "only the same application and pushkey is taken away"
    );

    set(store, &pusher("@alice:test", "A2", "org.app", "shared", "App"), false);
    assert!(keys(store, "@bob:test").is_empty(), "and it works both ways");
}

/// Deleting removes one pusher of one user; deleting a device removes the pushers it set.
pub fn pushers_deletion(store: &dyn Storage) {
    setup(store);
    set(store, &pusher("@alice:test", "A1", "org.app", "one", "App"), false);
    set(store, &pusher("@alice:test", "A1", "org.app", "two", "App"), false);
    set(store, &pusher("@alice:test", "A2", "org.app", "three", "App"), false);
    set(store, &pusher("@bob:test", "B1", "org.app", "one", "App"), true);

    assert!(!store.delete_pusher(&user("@alice:test"), "org.app", "nothing").expect("delete"), "no such pusher");
    assert!(!store.delete_pusher(&user("@alice:test"), "org.other", "one").expect("delete"), "another application");
    assert!(store.delete_pusher(&user("@alice:test"), "org.app", "one").expect("delete"));
    assert!(!store.delete_pusher(&user("@alice:test"), "org.app", "one").expect("delete"), "already gone");
    assert_eq!(keys(store, "@bob:test"), [key("org.app", "one")], "Bob's is another pusher");

    // A pusher moves to the device that set it last.
    set(store, &pusher("@alice:test", "A1", "org.app", "three", "App"), false);
    store.delete_devices(&user("@alice:test"), &[device("A2")]).expect("delete device");
    assert_eq!(keys(store, "@alice:test"), [key("org.app", "three"), key("org.app", "two")]);
    store.delete_devices_except(&user("@alice:test"), None).expect("log out everywhere");
    assert!(keys(store, "@alice:test").is_empty(), "gone with their device");
    assert_eq!(keys(store, "@bob:test"), [key("org.app", "one")], "other users' pushers stay");
}
