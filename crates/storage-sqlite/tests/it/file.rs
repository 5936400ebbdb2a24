//! File-backed behaviour: durability across reopening, and readers seeing the writer's commits.

use std::sync::Arc;

use rempart_storage::{AccountStore, NewUser, RoomStore, StreamStore};
use rempart_storage_sqlite::SqliteStore;
use ruma::OwnedUserId;

fn alice() -> OwnedUserId {
    OwnedUserId::try_from("@alice:test").expect("user id")
}

#[test]
fn reopened_store_sees_committed_data() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("rempart.db");
    let position = {
        let store = SqliteStore::open(&path).expect("open");
        let user = NewUser { user_id: alice(), password_hash: None, is_admin: true, displayname: None };
        store.create_user(&user, 42).expect("create user");
        store.put_account_data(&alice(), None, "m.x", &serde_json::json!({ "k": 1 })).expect("account data")
    };
    let store = SqliteStore::open(&path).expect("reopen");
    let user = store.get_user(&alice()).expect("get").expect("the user survived");
    assert!(user.is_admin);
    assert_eq!(user.created_ts, 42);
    assert_eq!(store.max_stream().expect("max_stream"), position, "the stream counter survived");
    assert_eq!(store.get_account_data(&alice(), None, "m.x").expect("get"), Some(serde_json::json!({ "k": 1 })));
    assert!(store.list_rooms().expect("list").is_empty());
}

#[test]
fn readers_see_commits_from_other_threads() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Arc::new(SqliteStore::open(&dir.path().join("rempart.db")).expect("open"));
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut last = 0;
                for i in 0..25 {
                    let pos = store.put_presence(&alice(), "online", Some(&format!("{t}-{i}")), i).expect("put");
                    assert!(store.max_stream().expect("max_stream") >= pos, "a reader sees its own commit");
                    assert!(pos > last);
                    last = pos;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer thread");
    }
    assert_eq!(store.max_stream().expect("max_stream"), 100, "every write got its own position");
}
