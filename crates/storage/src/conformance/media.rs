//! Media records: uploads within quota, asynchronous uploads, links written with events,
//! quarantine, deletion that frees a blob only when no record uses it.

use super::{append, create_room, new_user, user};
use crate::{CompleteUpload, MediaContent, MediaRecord, Storage};

fn content(sha: char, size: u64) -> MediaContent {
    MediaContent {
        sha256: sha.to_string().repeat(64),
        size,
        content_type: "image/png".into(),
        file_name: Some("cat.png".into()),
    }
}

fn upload(id: &str, uploader: &str, content: Option<MediaContent>) -> MediaRecord {
    MediaRecord {
        media_id: id.into(),
        uploader: user(uploader),
        created_ts: 1_000,
        expires_ts: content.is_none().then_some(5_000),
        content,
        quarantined: false,
    }
}

/// Uploads count against a quota checked in the same transaction; ids are unique.
pub fn media_uploads_and_quota(store: &dyn Storage) {
    let alice = user("@alice:test");
    assert!(store.insert_media(&upload("m1", "@alice:test", Some(content('a', 600))), 1_000).expect("insert"));
    assert!(!store.insert_media(&upload("m2", "@alice:test", Some(content('b', 500))), 1_000).expect("insert"));
    assert!(store.get_media("m2").expect("get").is_none(), "nothing written over quota");
    assert!(store.insert_media(&upload("m2", "@bob:test", Some(content('b', 500))), 1_000).expect("insert"));
    assert_eq!(store.media_usage(&alice).expect("usage"), 600);
    assert!(super::is_conflict(store.insert_media(&upload("m1", "@bob:test", None), 1_000)));

    let stored = store.get_media("m1").expect("get").expect("stored");
    assert_eq!(stored, upload("m1", "@alice:test", Some(content('a', 600))));
    let (files, total) = store.user_media(&alice, 0, 10).expect("list");
    assert_eq!((files.len(), total), (1, 1));
    assert_eq!(store.user_media(&alice, 1, 10).expect("list").0.len(), 0);
}

/// An asynchronous upload reserves an id that only its owner can fill, once, before it lapses.
pub fn media_async_uploads(store: &dyn Storage) {
    let (alice, bob) = (user("@alice:test"), user("@bob:test"));
    assert!(store.insert_media(&upload("p1", "@alice:test", None), 1_000).expect("reserve"));
    assert!(store.insert_media(&upload("p2", "@alice:test", None), 1_000).expect("reserve"));
    assert_eq!(store.pending_media_count(&alice, 2_000).expect("count"), 2);
    assert_eq!(store.pending_media_count(&alice, 6_000).expect("count"), 0, "lapsed");

    let c = content('c', 10);
    assert_eq!(store.complete_media("p1", &bob, &c, 1_000, 2_000).expect("complete"), CompleteUpload::NotOwner);
    assert_eq!(store.complete_media("nope", &alice, &c, 1_000, 2_000).expect("c"), CompleteUpload::NotFound);
    assert_eq!(store.complete_media("p1", &alice, &c, 5, 2_000).expect("complete"), CompleteUpload::OverQuota);
    assert_eq!(store.complete_media("p1", &alice, &c, 1_000, 2_000).expect("complete"), CompleteUpload::Completed);
    assert_eq!(
        store.complete_media("p1", &alice, &c, 1_000, 2_000).expect("complete"),
        CompleteUpload::AlreadyUploaded
    );
    assert_eq!(store.complete_media("p2", &alice, &c, 1_000, 6_000).expect("complete"), CompleteUpload::NotFound);
    let done = store.get_media("p1").expect("get").expect("stored");
    assert_eq!((done.content, done.expires_ts), (Some(c), None));
    assert_eq!(store.pending_media_count(&alice, 2_000).expect("count"), 1);
}

/// Links are written with their event (and only to files that exist); deletion removes them
/// and reports the blob as free only once no record uses it; quarantine is a flag.
pub fn media_links_and_deletion(store: &dyn Storage) {
    store.create_user(&new_user("@alice:test"), 1_000).expect("user");
    assert!(store.insert_media(&upload("m1", "@alice:test", Some(content('a', 1))), 100).expect("insert"));
    assert!(store.insert_media(&upload("m2", "@alice:test", Some(content('a', 1))), 100).expect("insert"));
    let mut chain = create_room(store, "!r:test", "r", "@alice:test", "invite");
    let mut event = chain.message("$pic", "@alice:test", "cat.png");
    event.media_links = vec!["m1".into(), "m2".into(), "never-uploaded".into()];
    append(store, &[event]);
    let links = store.media_links("m1").expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].event_id.as_str(), links[0].room_id.as_str()), ("$pic", "!r:test"));
    assert!(store.media_links("never-uploaded").expect("links").is_empty());

    assert!(store.set_media_quarantined("m1", true).expect("quarantine"));
    assert!(store.get_media("m1").expect("get").expect("stored").quarantined);
    assert!(!store.set_media_quarantined("nope", true).expect("quarantine"));

    assert!(store.blob_in_use(&"a".repeat(64)).expect("in use"));
    assert_eq!(store.delete_media("m1").expect("delete"), Some(None), "m2 still uses the blob");
    assert!(store.media_links("m1").expect("links").is_empty());
    assert_eq!(store.delete_media("m2").expect("delete"), Some(Some("a".repeat(64))));
    assert_eq!(store.delete_media("m2").expect("delete"), None);
    assert!(!store.blob_in_use(&"a".repeat(64)).expect("in use"));
    assert_eq!(store.media_usage(&user("@alice:test")).expect("usage"), 0);
}
