//! Conformance: session history (every IP address and user agent of every session), its
//! granularity, its pruning by age, and its survival of device deletion and deactivation.

use super::{device, new_user, user};
use crate::{EndSessions, LAST_SEEN_GRANULARITY_MS, SessionUse, Storage};

/// A history row, for comparisons.
fn used(device_id: &str, ip: Option<&str>, user_agent: Option<&str>, first_seen: u64, last_seen: u64) -> SessionUse {
    SessionUse {
        device_id: device(device_id),
        ip: ip.map(Into::into),
        user_agent: user_agent.map(Into::into),
        first_seen,
        last_seen,
    }
}

/// Logins and requests add one row per (device, IP, user agent); a known pair only moves its
/// `last_seen`, and only once the granularity has passed.
pub fn session_history(store: &dyn Storage) {
    let (alice, bob) = (user("@alice:test"), user("@bob:test"));
    store.create_user(&new_user("@alice:test"), 1).expect("create alice");
    store.create_user(&new_user("@bob:test"), 1).expect("create bob");
    let (d1, d2) = (device("DEV1"), device("DEV2"));
    let step = LAST_SEEN_GRANULARITY_MS;

    store.create_session(&alice, &d1, None, b"tok1", Some("10.0.0.1"), 1_000).expect("login");
    assert_eq!(store.session_history(&alice).expect("history"), [used("DEV1", Some("10.0.0.1"), None, 1_000, 1_000)]);

    let ua = Some("Element/1.0");
    store.touch_device(&alice, &d1, Some("10.0.0.1"), ua, 2_000).expect("touch");
    store.touch_device(&alice, &d1, Some("10.0.0.1"), ua, 2_000 + step - 1).expect("touch within the granularity");
    let device_record = store.get_device(&alice, &d1).expect("get").expect("DEV1");
    assert_eq!(device_record.last_seen_ts, Some(2_000), "nothing new within the granularity, nothing written");
    assert_eq!(
        store.session_history(&alice).expect("history"),
        [used("DEV1", Some("10.0.0.1"), ua, 2_000, 2_000), used("DEV1", Some("10.0.0.1"), None, 1_000, 1_000)]
    );

    let later = 2_000 + step;
    store.touch_device(&alice, &d1, Some("10.0.0.1"), ua, later).expect("touch after the granularity");
    assert_eq!(store.get_device(&alice, &d1).expect("get").expect("DEV1").last_seen_ts, Some(later));
    store.touch_device(&alice, &d1, Some("192.0.2.7"), ua, later + 1).expect("touch from elsewhere");
    store.touch_device(&alice, &d1, Some("192.0.2.7"), Some("curl/8"), later + 2).expect("touch with another agent");
    let device_record = store.get_device(&alice, &d1).expect("get").expect("DEV1");
    assert_eq!(
        (device_record.last_seen_ts, device_record.last_seen_ip.as_deref(), device_record.last_seen_user_agent),
        (Some(later + 2), Some("192.0.2.7"), Some("curl/8".into())),
        "a new address or agent is written at once"
    );

    store.create_session(&alice, &d2, None, b"tok2", Some("10.0.0.9"), later + 3).expect("second device");
    store.create_session(&bob, &d1, None, b"tok3", Some("10.0.0.1"), later + 4).expect("someone else");
    store.touch_device(&bob, &d1, Some("10.0.0.1"), ua, later + 5).expect("someone else's request");

    assert_eq!(
        store.session_history(&alice).expect("history"),
        [
            used("DEV1", Some("192.0.2.7"), Some("curl/8"), later + 2, later + 2),
            used("DEV1", Some("192.0.2.7"), ua, later + 1, later + 1),
            used("DEV1", Some("10.0.0.1"), ua, 2_000, later),
            used("DEV1", Some("10.0.0.1"), None, 1_000, 1_000),
            used("DEV2", Some("10.0.0.9"), None, later + 3, later + 3),
        ],
        "every pair of every device, most recent first, and only alice's"
    );
    assert_eq!(store.session_history(&bob).expect("history").len(), 2);
    assert!(store.session_history(&user("@nobody:test")).expect("history").is_empty());
}

/// Pruning removes what was last seen before the cut-off, whenever it was first seen.
pub fn session_history_pruning(store: &dyn Storage) {
    let alice = user("@alice:test");
    store.create_user(&new_user("@alice:test"), 1).expect("create");
    let d1 = device("DEV1");
    store.create_session(&alice, &d1, None, b"tok1", Some("10.0.0.1"), 1_000).expect("login");
    store.touch_device(&alice, &d1, Some("10.0.0.2"), None, 2_000).expect("old use");
    store.touch_device(&alice, &d1, Some("10.0.0.3"), None, 10_000).expect("use on the cut-off");
    store.touch_device(&alice, &d1, Some("10.0.0.1"), None, 500_000).expect("the first address, used again");

    assert_eq!(store.prune_session_history(10_000).expect("prune"), 1, "only the 10.0.0.2 row is older");
    assert_eq!(
        store.session_history(&alice).expect("history"),
        [used("DEV1", Some("10.0.0.1"), None, 1_000, 500_000), used("DEV1", Some("10.0.0.3"), None, 10_000, 10_000)]
    );
    assert_eq!(store.prune_session_history(10_000).expect("prune again"), 0);
    assert_eq!(store.prune_session_history(u64::MAX >> 1).expect("prune everything"), 2);
    assert!(store.session_history(&alice).expect("history").is_empty());
    assert!(store.get_device(&alice, &d1).expect("get").is_some(), "pruning history leaves devices alone");
}

/// History is evidence: logout, device deletion, a password reset that ends every session and
/// deactivation all keep it.
pub fn session_history_outlives_devices(store: &dyn Storage) {
    let alice = user("@alice:test");
    store.create_user(&new_user("@alice:test"), 1).expect("create");
    for (n, name) in ["A", "B", "C", "D"].into_iter().enumerate() {
        let ip = format!("10.0.0.{n}");
        store.create_session(&alice, &device(name), None, &[n as u8 + 1; 32], Some(&ip), 100).expect("login");
        store.touch_device(&alice, &device(name), Some(&ip), Some("Element/1.0"), 200).expect("use");
    }
    store.delete_devices(&alice, &[device("A")]).expect("delete A");
    assert_eq!(store.delete_devices_except(&alice, Some(&device("D"))).expect("delete B, C").len(), 2);
    store.change_password(&alice, "$argon2id$new", EndSessions::All).expect("reset");
    assert!(store.list_devices(&alice).expect("devices").is_empty());
    store.create_session(&alice, &device("E"), None, &[9; 32], Some("10.0.0.9"), 300).expect("login again");
    store.deactivate_user(&alice, true).expect("deactivate with erase");

    let history = store.session_history(&alice).expect("history");
    let devices: Vec<&str> = history.iter().map(|row| row.device_id.as_str()).collect();
    assert_eq!(devices, ["A", "A", "B", "B", "C", "C", "D", "D", "E"], "{history:?}");
    assert!(history.contains(&used("C", Some("10.0.0.2"), Some("Element/1.0"), 200, 200)));
}

/// A client changing its user agent at every request cannot grow its history without bound:
/// a session keeps its 200 most recent places.
pub fn session_history_is_bounded_per_session(store: &dyn Storage) {
    let alice = user("@alice:test");
    store.create_user(&new_user("@alice:test"), 1).expect("create alice");
    store.create_session(&alice, &device("DEV1"), None, b"tok1", Some("10.0.0.1"), 1_000).expect("login");
    for n in 0..230u64 {
        let agent = format!("agent/{n}");
        store.touch_device(&alice, &device("DEV1"), Some("10.0.0.1"), Some(&agent), 2_000 + n).expect("touch");
    }
    let history = store.session_history(&alice).expect("history");
    assert_eq!(history.len(), 200);
    assert!(history.iter().any(|u| u.user_agent.as_deref() == Some("agent/229")), "the newest is kept");
    assert!(!history.iter().any(|u| u.user_agent.as_deref() == Some("agent/0")), "the oldest went");
}
