//! Conformance: what operators do to whole rooms: overviews, purges, blocks, and the mapping of
//! users to their server notices rooms.

use ruma::{OwnedRoomAliasId, events::StateEventType, server_name};
use serde_json::json;

use super::{append, create_room, event_id, room, user};
use crate::{MediaContent, MediaRecord, ReceiptRecord, Storage};

/// Overviews read the selected state contents and count state entries and joined members,
/// local ones apart.
pub fn room_overviews(store: &dyn Storage) {
    let mut r = create_room(store, "!r:test", "r", "@alice:test", "public");
    create_room(store, "!s:test", "s", "@bob:test", "invite");
    append(
        store,
        &[
            r.state("$r-name", "@alice:test", "m.room.name", "", json!({ "name": "Budget" })),
            r.state("$r-topic", "@alice:test", "m.room.topic", "", json!({ "topic": "money" })),
            r.state("$r-bob", "@bob:test", "m.room.member", "@bob:test", json!({ "membership": "join" })),
            r.state("$r-eve", "@eve:elsewhere", "m.room.member", "@eve:elsewhere", json!({ "membership": "join" })),
            r.state("$r-inv", "@alice:test", "m.room.member", "@carol:test", json!({ "membership": "invite" })),
        ],
    );
    let kinds = ["m.room.name", "m.room.join_rules", "m.room.encryption"];
    let mut all = store.room_overviews(None, &kinds, server_name!("test")).expect("overviews");
    all.sort_by(|a, b| a.record.room_id.cmp(&b.record.room_id));
    assert_eq!(all.len(), 2);
    let r = &all[0];
    assert_eq!(r.record.room_id, room("!r:test"));
    assert_eq!(r.state.get("m.room.name"), Some(&json!({ "name": "Budget" })));
    assert_eq!(r.state.get("m.room.join_rules"), Some(&json!({ "join_rule": "public" })));
    assert!(!r.state.contains_key("m.room.topic"), "only the kinds asked for");
    assert!(!r.state.contains_key("m.room.encryption"));
    assert_eq!((r.state_events, r.joined_members, r.joined_local_members), (8, 3, 2));
    let s = &all[1];
    assert_eq!((s.state_events, s.joined_members, s.joined_local_members), (3, 1, 1));

    let one = store.room_overviews(Some(&room("!s:test")), &kinds, server_name!("test")).expect("one");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].record.creator, user("@bob:test"));
    assert_eq!(one[0].state.get("m.room.join_rules"), Some(&json!({ "join_rule": "invite" })));
    assert!(store.room_overviews(Some(&room("!none:test")), &kinds, server_name!("test")).expect("none").is_empty());
}

/// A purge removes every trace of one room in one go and leaves the others alone.
pub fn room_purge(store: &dyn Storage) {
    let mut r = create_room(store, "!r:test", "r", "@alice:test", "public");
    let mut other = create_room(store, "!o:test", "o", "@alice:test", "public");
    append(store, &[r.state("$r-bob", "@bob:test", "m.room.member", "@bob:test", json!({ "membership": "join" }))]);
    for i in 0..3 {
        append(store, &[r.message(&format!("$r-m{i}"), "@bob:test", "hello")]);
    }
    append(store, &[r.state("$r-name", "@alice:test", "m.room.name", "", json!({ "name": "n" }))]);
    append(store, &[other.message("$o-m", "@alice:test", "stays")]);
    let alias = OwnedRoomAliasId::try_from("#r:test").expect("alias");
    store.create_alias(&alias, &room("!r:test"), &user("@alice:test")).expect("alias");
    let receipt = |room_id: &str, event: &str| ReceiptRecord {
        room_id: room(room_id),
        user_id: user("@bob:test"),
        receipt_type: "m.read".into(),
        thread_id: None,
        event_id: event_id(event),
        ts: 1,
        stream: 0,
    };
    store.put_receipt(&receipt("!r:test", "$r-m2")).expect("receipt");
    store.put_receipt(&receipt("!o:test", "$o-m")).expect("receipt");
    let tags = json!({ "tags": { "u.work": {} } });
    store.put_account_data(&user("@bob:test"), Some(&room("!r:test")), "m.tag", &tags).expect("tag");
    store.put_account_data(&user("@bob:test"), Some(&room("!o:test")), "m.tag", &tags).expect("tag");
    store.put_account_data(&user("@bob:test"), None, "m.direct", &json!({})).expect("global");
    let file = MediaRecord {
        media_id: "f1".into(),
        uploader: user("@bob:test"),
        created_ts: 1,
        content: Some(MediaContent {
            sha256: "a".repeat(64),
            size: 1,
            content_type: "text/plain".into(),
            file_name: None,
        }),
        expires_ts: None,
        quarantined: false,
    };
    store.insert_media(&file, 1_000).expect("media");
    let mut linking = r.message("$r-file", "@bob:test", "file");
    linking.media_links = vec!["f1".into()];
    append(store, &[linking]);
    store.set_notice_room(&user("@bob:test"), &room("!r:test")).expect("notice room");
    store.block_room(&room("!r:test"), "@admin:test", 5).expect("block");
    let old_group = store.current_state_group(&room("!r:test")).expect("group").expect("has state");
    let create = StateEventType::RoomCreate;
    assert!(store.state_group_lookup(old_group, &create, "").expect("lookup").is_some());

    assert!(store.purge_room(&room("!r:test")).expect("purge"));

    let gone = room("!r:test");
    assert!(store.get_room(&gone).expect("get").is_none());
    assert!(store.list_rooms().expect("list").iter().all(|rec| rec.room_id != gone));
    for id in ["$r-create", "$r-join", "$r-bob", "$r-m0", "$r-m2", "$r-name", "$r-file"] {
        assert!(store.get_event(&event_id(id)).expect("get").is_none(), "{id} purged");
    }
    assert!(store.current_state(&gone).expect("state").is_empty());
    assert!(store.current_state_group(&gone).expect("group").is_none());
    assert!(store.state_group_entries(old_group).expect("entries").is_empty(), "state groups purged");
    assert!(store.state_group_lookup(old_group, &create, "").expect("lookup").is_none(), "no answer outlives them");
    assert!(store.forward_extremities(&gone).expect("extremities").is_empty());
    assert!(store.room_memberships(&gone).expect("members").is_empty());
    assert!(store.membership(&gone, &user("@bob:test")).expect("membership").is_none());
    let bobs: Vec<_> = store.user_memberships(&user("@bob:test")).expect("memberships");
    assert!(bobs.iter().all(|m| m.room_id != gone));
    assert!(store.room_aliases(&gone).expect("aliases").is_empty());
    assert!(store.resolve_alias(&alias).expect("resolve").is_none());
    assert!(store.receipts_since(&gone, 0).expect("receipts").is_empty());
    assert!(store.get_account_data(&user("@bob:test"), Some(&gone), "m.tag").expect("tag").is_none());
    let links = store.media_links("f1").expect("links");
    assert_eq!(links.len(), 1, "the link stays as a record that the file was posted");
    assert!(store.get_event(&links[0].event_id).expect("event").is_none(), "its event is gone");
    assert!(store.get_media("f1").expect("media").is_some(), "the file itself belongs to its uploader");
    assert!(store.notice_room(&user("@bob:test")).expect("notice").is_none());
    assert!(store.is_room_blocked(&gone).expect("blocked"), "a block outlives the purge");
    assert!(!store.purge_room(&gone).expect("purge again"), "an unknown room");

    let kept = room("!o:test");
    assert!(store.get_room(&kept).expect("get").is_some());
    assert!(store.get_event(&event_id("$o-m")).expect("get").is_some());
    assert_eq!(store.current_state(&kept).expect("state").len(), 3);
    assert_eq!(store.receipts_since(&kept, 0).expect("receipts").len(), 1);
    assert!(store.get_account_data(&user("@bob:test"), Some(&kept), "m.tag").expect("tag").is_some());
    assert!(store.get_account_data(&user("@bob:test"), None, "m.direct").expect("global").is_some());
    append(store, &[other.message("$o-m2", "@alice:test", "the other room still takes events")]);
}

/// Blocks need no room, are idempotent, and are per room id.
pub fn room_blocks(store: &dyn Storage) {
    let unknown = room("!never-seen:test");
    assert!(!store.is_room_blocked(&unknown).expect("blocked"));
    store.block_room(&unknown, "@admin:test", 1).expect("block");
    store.block_room(&unknown, "cli", 2).expect("block again");
    assert!(store.is_room_blocked(&unknown).expect("blocked"));
    assert!(!store.is_room_blocked(&room("!other:test")).expect("blocked"));
}

/// Each user has at most one notices room; setting it again replaces it.
pub fn notice_rooms(store: &dyn Storage) {
    create_room(store, "!n1:test", "n1", "@server:test", "invite");
    create_room(store, "!n2:test", "n2", "@server:test", "invite");
    let bob = user("@bob:test");
    assert!(store.notice_room(&bob).expect("get").is_none());
    store.set_notice_room(&bob, &room("!n1:test")).expect("set");
    assert_eq!(store.notice_room(&bob).expect("get"), Some(room("!n1:test")));
    store.set_notice_room(&bob, &room("!n2:test")).expect("replace");
    assert_eq!(store.notice_room(&bob).expect("get"), Some(room("!n2:test")));
    assert!(store.notice_room(&user("@carol:test")).expect("get").is_none());
}
