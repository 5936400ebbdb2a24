//! Conformance: accounts, devices and sessions.

use super::{device, is_conflict, new_user, user};
use crate::{AccountFlag, AccountStatus, EndSessions, NewUser, Storage};

/// Accounts: creation, uniqueness, listing and every field setter.
pub fn users(store: &dyn Storage) {
    let alice = NewUser { displayname: Some("alice".into()), ..new_user("@alice:test") };
    store.create_user(&alice, 1_000).expect("create alice");
    assert!(is_conflict(store.create_user(&alice, 2_000)), "a taken user id is a Conflict");

    let got = store.get_user(&alice.user_id).expect("get").expect("alice exists");
    assert_eq!(got.user_id, alice.user_id);
    assert_eq!(got.password_hash.as_deref(), Some("$argon2id$fake"));
    assert!(!got.is_admin);
    assert_eq!(got.status, AccountStatus::Active);
    assert_eq!(got.displayname.as_deref(), Some("alice"));
    assert_eq!(got.avatar_url, None);
    assert_eq!(got.created_ts, 1_000, "the failed second create changed nothing");
    assert!(!got.erased);
    assert!(store.get_user(&user("@nobody:test")).expect("get").is_none());

    store.create_user(&NewUser { is_admin: true, ..new_user("@bob:test") }, 1_000).expect("create bob");
    store.create_user(&new_user("@aaron:test"), 1_000).expect("create aaron");
    let listed: Vec<String> = store.list_users().expect("list").iter().map(|u| u.user_id.to_string()).collect();
    assert_eq!(listed, ["@aaron:test", "@alice:test", "@bob:test"], "ordered by user id");
    assert!(store.get_user(&user("@bob:test")).expect("get").expect("bob").is_admin);

    let id = &alice.user_id;
    store.set_password_hash(id, None).expect("clear password");
    assert_eq!(store.get_user(id).expect("get").expect("alice").password_hash, None);
    store.set_password_hash(id, Some("$argon2id$new")).expect("set password");
    assert_eq!(store.get_user(id).expect("get").expect("alice").password_hash.as_deref(), Some("$argon2id$new"));
    // Locks and suspensions are independent flags; the effective state is the strongest.
    let state = |store: &dyn Storage| {
        let got = store.get_user(id).expect("get").expect("alice");
        (got.status, got.locked, got.suspended)
    };
    assert!(store.set_account_flag(id, AccountFlag::Suspended, true).expect("suspend"));
    assert_eq!(state(store), (AccountStatus::Suspended, false, true));
    assert!(store.set_account_flag(id, AccountFlag::Locked, true).expect("lock"));
    assert_eq!(state(store), (AccountStatus::Locked, true, true));
    store.set_account_flag(id, AccountFlag::Locked, false).expect("unlock");
    assert_eq!(state(store), (AccountStatus::Suspended, false, true), "unlocking keeps the suspension");
    store.set_account_flag(id, AccountFlag::Suspended, false).expect("unsuspend");
    assert_eq!(state(store), (AccountStatus::Active, false, false));
    assert!(!store.set_account_flag(&user("@nobody:test"), AccountFlag::Locked, true).expect("lock"));
    store.set_displayname(id, Some("Alice A.")).expect("set displayname");
    store.set_avatar_url(id, Some("mxc://test/abc")).expect("set avatar");
    let got = store.get_user(id).expect("get").expect("alice");
    assert_eq!((got.displayname.as_deref(), got.avatar_url.as_deref()), (Some("Alice A."), Some("mxc://test/abc")));
    store.set_displayname(id, None).expect("clear displayname");
    store.set_avatar_url(id, None).expect("clear avatar");
    let got = store.get_user(id).expect("get").expect("alice");
    assert_eq!((got.displayname, got.avatar_url), (None, None));
    assert!(store.set_admin(id, true).expect("promote"));
    assert!(store.get_user(id).expect("get").expect("alice").is_admin);
    assert!(store.set_admin(id, false).expect("demote"));
    assert!(!store.get_user(id).expect("get").expect("alice").is_admin);
    assert!(!store.set_admin(&user("@nobody:test"), true).expect("promote"), "an unknown account is reported");
    assert!(!store.get_user(&user("@aaron:test")).expect("get").expect("aaron").is_admin, "others untouched");
}

/// Devices and tokens: login, lookup, re-login with the same device, renaming, deletion.
pub fn sessions(store: &dyn Storage) {
    let alice = user("@alice:test");
    store.create_user(&new_user("@alice:test"), 1_000).expect("create alice");
    let (d1, d2, d3) = (device("DEV1"), device("DEV2"), device("DEV3"));

    store.create_session(&alice, &d1, Some("Phone"), b"tok1", Some("10.0.0.1"), 2_000).expect("login");
    let session = store.find_session(b"tok1").expect("find").expect("tok1 resolves");
    assert_eq!((session.user_id.as_str(), session.device_id.as_str()), ("@alice:test", "DEV1"));
    assert_eq!(session.status, AccountStatus::Active);
    assert!(!session.is_admin);
    assert!(store.find_session(b"unknown").expect("find").is_none());
    let dev = store.get_device(&alice, &d1).expect("get device").expect("DEV1 exists");
    assert_eq!((dev.display_name.as_deref(), dev.created_ts), (Some("Phone"), 2_000));

    store.set_account_flag(&alice, AccountFlag::Locked, true).expect("lock");
    assert_eq!(store.find_session(b"tok1").expect("find").expect("session").status, AccountStatus::Locked);
    store.set_account_flag(&alice, AccountFlag::Locked, false).expect("unlock");

    store.touch_device(&alice, &d1, Some("10.0.0.2"), Some("Element/1.0"), 3_000).expect("touch");
    let dev = store.get_device(&alice, &d1).expect("get device").expect("DEV1");
    assert_eq!(dev.last_seen_ts, Some(3_000));
    assert_eq!(dev.last_seen_ip.as_deref(), Some("10.0.0.2"));
    assert_eq!(dev.last_seen_user_agent.as_deref(), Some("Element/1.0"));

    store.create_session(&alice, &d1, None, b"tok1b", None, 4_000).expect("login again, same device");
    assert!(store.find_session(b"tok1").expect("find").is_none(), "re-login ends the old session");
    assert!(store.find_session(b"tok1b").expect("find").is_some());
    let dev = store.get_device(&alice, &d1).expect("get device").expect("DEV1");
    assert_eq!((dev.display_name.as_deref(), dev.created_ts), (Some("Phone"), 2_000), "device kept as it was");
    store.create_session(&alice, &d1, Some("Laptop"), b"tok1c", None, 5_000).expect("login with a new name");
    assert_eq!(store.get_device(&alice, &d1).expect("get").expect("DEV1").display_name.as_deref(), Some("Laptop"));
    assert!(store.find_session(b"tok1b").expect("find").is_none());

    assert!(store.set_device_display_name(&alice, &d1, Some("Desk")).expect("rename"));
    assert_eq!(store.get_device(&alice, &d1).expect("get").expect("DEV1").display_name.as_deref(), Some("Desk"));
    assert!(!store.set_device_display_name(&alice, &device("NOPE"), Some("x")).expect("rename missing"));
    assert!(store.get_device(&alice, &device("NOPE")).expect("get").is_none());

    store.create_session(&alice, &d3, None, b"tok3", None, 6_000).expect("login DEV3");
    store.create_session(&alice, &d2, None, b"tok2", None, 6_000).expect("login DEV2");
    let listed: Vec<String> =
        store.list_devices(&alice).expect("list").iter().map(|d| d.device_id.to_string()).collect();
    assert_eq!(listed, ["DEV1", "DEV2", "DEV3"]);

    store.delete_devices(&alice, std::slice::from_ref(&d2)).expect("delete DEV2");
    assert!(store.find_session(b"tok2").expect("find").is_none(), "a deleted device's token is dead");
    assert!(store.get_device(&alice, &d2).expect("get").is_none());
    assert!(store.find_session(b"tok3").expect("find").is_some(), "other devices live on");

    assert_eq!(store.delete_devices_except(&alice, Some(&d1)).expect("delete others"), vec![d3.clone()]);
    assert!(store.find_session(b"tok3").expect("find").is_none());
    assert!(store.find_session(b"tok1c").expect("find").is_some(), "the kept device keeps its token");
    assert_eq!(store.delete_devices_except(&alice, None).expect("delete all"), vec![d1.clone()]);
    assert!(store.find_session(b"tok1c").expect("find").is_none());
    assert!(store.list_devices(&alice).expect("list").is_empty());

    store.create_user(&NewUser { is_admin: true, ..new_user("@admin:test") }, 1_000).expect("create admin");
    store.create_session(&user("@admin:test"), &d1, None, b"admin-tok", None, 7_000).expect("admin login");
    assert!(store.find_session(b"admin-tok").expect("find").expect("session").is_admin);
}

/// A password change and the end of the other sessions, and a deactivation, each happen at once.
pub fn password_change_and_deactivation(store: &dyn Storage) {
    let alice = user("@alice:test");
    store.create_user(&new_user("@alice:test"), 1).expect("create");
    for (n, dev) in ["A", "B", "C"].into_iter().enumerate() {
        store.create_session(&alice, &device(dev), None, &[n as u8 + 1; 32], None, 1).expect("session");
    }
    let ended = store.change_password(&alice, "$argon2id$new", EndSessions::AllExcept(&device("A"))).expect("change");
    assert_eq!(ended, [device("B"), device("C")]);
    assert_eq!(store.get_user(&alice).expect("get").expect("user").password_hash.as_deref(), Some("$argon2id$new"));
    assert!(store.find_session(&[1; 32]).expect("find").is_some(), "the changing session survives");
    assert!(store.find_session(&[2; 32]).expect("find").is_none());
    assert!(
        store.change_password(&alice, "$argon2id$newer", EndSessions::None).expect("change").is_empty(),
        "nothing ended"
    );

    store.set_displayname(&alice, Some("Alice")).expect("displayname");
    assert_eq!(store.deactivate_user(&alice, false).expect("deactivate"), [device("A")]);
    let record = store.get_user(&alice).expect("get").expect("user");
    assert_eq!((record.status, record.password_hash, record.displayname), (AccountStatus::Deactivated, None, None));
    assert!(!record.erased, "deactivated without erasing");
    store.deactivate_user(&alice, true).expect("erase");
    assert!(store.get_user(&alice).expect("get").expect("user").erased);
    assert!(store.find_session(&[1; 32]).expect("find").is_none());
}
