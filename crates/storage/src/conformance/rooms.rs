//! Conformance: room records, timelines, memberships and aliases.

use ruma::{OwnedRoomAliasId, OwnedUserId, RoomVersionId};
use serde_json::json;

use super::{append, create_room, event_id, ids, is_conflict, room, stored, streams, user};
use crate::{Membership, Storage};

/// Room records: creation through `append_events`, listing, publishing, batch lookups.
pub fn rooms(store: &dyn Storage) {
    assert!(store.get_room(&room("!none:test")).expect("get").is_none());
    assert!(store.current_state_group(&room("!none:test")).expect("group").is_none());
    let mut chain = create_room(store, "!r2:test", "r2", "@alice:test", "invite");
    create_room(store, "!r1:test", "r1", "@bob:test", "public");
    let got = store.get_room(&room("!r2:test")).expect("get").expect("room exists");
    assert_eq!((got.room_id.as_str(), got.creator.as_str()), ("!r2:test", "@alice:test"));
    assert_eq!((got.version, got.created_ts, got.published), (RoomVersionId::V11, 1_000, false));
    let listed: Vec<String> = store.list_rooms().expect("list").iter().map(|r| r.room_id.to_string()).collect();
    assert_eq!(listed, ["!r1:test", "!r2:test"]);

    store.set_room_published(&room("!r2:test"), true).expect("publish");
    assert!(store.get_room(&room("!r2:test")).expect("get").expect("room").published);
    assert!(!store.get_room(&room("!r1:test")).expect("get").expect("room").published);
    store.set_room_published(&room("!r2:test"), false).expect("unpublish");
    assert!(!store.get_room(&room("!r2:test")).expect("get").expect("room").published);

    append(store, &[chain.message("$r2-m1", "@alice:test", "hi")]);
    let wanted = [event_id("$r2-m1"), event_id("$missing"), event_id("$r1-create")];
    assert_eq!(ids(&store.get_events(&wanted).expect("get_events")), ["$r2-m1", "$r1-create"], "missing skipped");
}

/// Timeline windows: latest with its `limited` flag, backward and forward pagination.
pub fn timelines(store: &dyn Storage) {
    let mut c = create_room(store, "!r:test", "r", "@alice:test", "public");
    let mut other = create_room(store, "!o:test", "o", "@bob:test", "public");
    let room_id = room("!r:test");
    let mut positions: Vec<i64> =
        store.timeline_forward(&room_id, 0, 100).expect("forward").iter().map(|e| e.stream).collect();
    assert_eq!(positions.len(), 3);
    for i in 0..10 {
        positions.extend(append(store, &[c.message(&format!("$m{i}"), "@alice:test", "x")]));
        append(store, &[other.message(&format!("$o{i}"), "@bob:test", "noise")]);
    }
    let max = store.max_stream().expect("max_stream");
    let p = |i: usize| positions[i];

    let (events, limited) = store.timeline_latest(&room_id, 0, max, 5).expect("latest");
    assert_eq!(streams(&events), positions[8..], "the newest five, oldest first");
    assert!(limited);
    let (events, limited) = store.timeline_latest(&room_id, 0, max, 13).expect("latest");
    assert_eq!((streams(&events), limited), (positions.clone(), false), "exactly all is not limited");
    let (events, limited) = store.timeline_latest(&room_id, p(7), max, 100).expect("latest");
    assert_eq!((streams(&events), limited), (positions[8..].to_vec(), false));
    let (events, limited) = store.timeline_latest(&room_id, p(2), p(6), 10).expect("latest");
    assert_eq!((streams(&events), limited), (positions[3..=6].to_vec(), false), "after < stream <= until");
    let (events, limited) = store.timeline_latest(&room_id, p(2), p(6), 2).expect("latest");
    assert_eq!((streams(&events), limited), (positions[5..=6].to_vec(), true));
    let (events, limited) = store.timeline_latest(&room_id, max, max, 10).expect("latest");
    assert_eq!((events.len(), limited), (0, false));

    let back = store.timeline_backward(&room_id, p(10), 3).expect("backward");
    assert_eq!(streams(&back), [p(9), p(8), p(7)], "stream < before, newest first");
    let back = store.timeline_backward(&room_id, p(1), 10).expect("backward");
    assert_eq!(ids(&back), ["$r-create"]);
    let fwd = store.timeline_forward(&room_id, p(10), 10).expect("forward");
    assert_eq!(streams(&fwd), [p(11), p(12)], "stream > after, oldest first");
    let fwd = store.timeline_forward(&room_id, 0, 2).expect("forward");
    assert_eq!(streams(&fwd), [p(0), p(1)]);

    let at = |at| store.latest_event_at(&room_id, at).expect("latest_event_at").map(|e| e.stream);
    assert_eq!(at(p(5)), Some(p(5)));
    assert_eq!(at(p(5) + 1), Some(p(5)), "the other room's event in between is not this room's");
    assert_eq!(at(max), Some(p(12)));
    assert_eq!(at(p(0) - 1), None);
}

/// Memberships per user and per room, shared rooms, public-room members, forgetting.
pub fn memberships(store: &dyn Storage) {
    let mut r1 = create_room(store, "!r1:test", "r1", "@alice:test", "public");
    let mut r2 = create_room(store, "!r2:test", "r2", "@alice:test", "invite");
    let mut r3 = create_room(store, "!r3:test", "r3", "@erin:test", "public");
    append(
        store,
        &[
            r1.member("$bob-join", "@bob:test", "join"),
            r1.state("$carol-invite", "@alice:test", "m.room.member", "@carol:test", json!({ "membership": "invite" })),
        ],
    );
    append(store, &[r2.member("$dave-join", "@dave:test", "join")]);
    append(store, &[r3.member("$erin-leave", "@erin:test", "leave")]);

    let rooms_of = |u: &str| -> Vec<(String, Membership)> {
        store
            .user_memberships(&user(u))
            .expect("memberships")
            .into_iter()
            .map(|m| (m.room_id.to_string(), m.membership))
            .collect()
    };
    let mut alice = rooms_of("@alice:test");
    alice.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(alice, [("!r1:test".to_owned(), Membership::Join), ("!r2:test".to_owned(), Membership::Join)]);
    assert_eq!(rooms_of("@carol:test"), [("!r1:test".to_owned(), Membership::Invite)]);
    let mut members: Vec<(String, Membership)> = store
        .room_memberships(&room("!r1:test"))
        .expect("room memberships")
        .into_iter()
        .map(|m| (m.user_id.to_string(), m.membership))
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(store.joined_member_count(&room("!r1:test")).expect("count"), 2, "the invite does not count");
    assert_eq!(store.joined_member_count(&room("!unknown:test")).expect("count"), 0);
    assert_eq!(
        members,
        [
            ("@alice:test".to_owned(), Membership::Join),
            ("@bob:test".to_owned(), Membership::Join),
            ("@carol:test".to_owned(), Membership::Invite)
        ]
    );

    let sorted = |mut users: Vec<OwnedUserId>| {
        users.sort();
        users.into_iter().map(|u| u.to_string()).collect::<Vec<_>>()
    };
    let sharing = |u: &str| sorted(store.users_sharing_rooms(&user(u)).expect("sharing"));
    assert_eq!(sharing("@alice:test"), ["@alice:test", "@bob:test", "@dave:test"]);
    assert_eq!(sharing("@bob:test"), ["@alice:test", "@bob:test"]);
    assert!(sharing("@carol:test").is_empty(), "an invite shares nothing");
    assert!(sharing("@erin:test").is_empty(), "a left room shares nothing");
    let public = || sorted(store.users_in_public_rooms().expect("public"));
    assert_eq!(public(), ["@alice:test", "@bob:test"]);
    append(store, &[r2.state("$r2-public", "@alice:test", "m.room.join_rules", "", json!({ "join_rule": "public" }))]);
    assert_eq!(public(), ["@alice:test", "@bob:test", "@dave:test"], "the current join rule counts");

    let forgotten =
        |r: &str, u: &str| store.membership(&room(r), &user(u)).expect("membership").expect("member").forgotten;
    store.forget_room(&room("!r3:test"), &user("@erin:test")).expect("forget");
    assert!(forgotten("!r3:test", "@erin:test"));
    store.forget_room(&room("!r1:test"), &user("@alice:test")).expect("forget while joined");
    assert!(!forgotten("!r1:test", "@alice:test"), "only a left room can be forgotten");
    append(store, &[r3.member("$erin-back", "@erin:test", "join")]);
    assert!(!forgotten("!r3:test", "@erin:test"), "a new membership un-forgets");
}

/// Room aliases: uniqueness, resolution, listing, deletion.
pub fn aliases(store: &dyn Storage) {
    create_room(store, "!r:test", "r", "@alice:test", "public");
    create_room(store, "!s:test", "s", "@bob:test", "public");
    let alias = |a: &str| OwnedRoomAliasId::try_from(a).expect("valid alias");
    let (a, b, other) = (alias("#a:test"), alias("#b:test"), alias("#other:test"));
    store.create_alias(&b, &room("!r:test"), &user("@alice:test")).expect("create #b");
    store.create_alias(&a, &room("!r:test"), &user("@bob:test")).expect("create #a");
    store.create_alias(&other, &room("!s:test"), &user("@bob:test")).expect("create #other");
    assert!(is_conflict(store.create_alias(&a, &room("!s:test"), &user("@bob:test"))), "a taken alias is a Conflict");
    assert_eq!(store.resolve_alias(&a).expect("resolve"), Some((room("!r:test"), user("@bob:test"))));
    let mut listed = store.room_aliases(&room("!r:test")).expect("list");
    listed.sort();
    assert_eq!(listed, [a.clone(), b.clone()]);
    assert!(store.delete_alias(&a).expect("delete"));
    assert!(!store.delete_alias(&a).expect("delete again"));
    assert_eq!(store.resolve_alias(&a).expect("resolve"), None);
    assert_eq!(store.room_aliases(&room("!r:test")).expect("list"), [b]);
}

/// Search matches body, name and topic case-insensitively, only in the given rooms, newest
/// first, and never returns redacted events.
pub fn search(store: &dyn Storage) {
    let mut c = create_room(store, "!s:test", "s", "@alice:test", "public");
    let mut other = create_room(store, "!t:test", "t", "@bob:test", "public");
    append(store, &[c.message("$s1", "@alice:test", "The Budget for 2027")]);
    append(store, &[other.message("$t1", "@bob:test", "budget elsewhere")]);
    append(store, &[c.state("$s2", "@alice:test", "m.room.topic", "", json!({ "topic": "budget talks" }))]);
    append(store, &[c.message("$s3", "@alice:test", "nothing to see")]);
    let rooms = [room("!s:test")];
    let found = store.search_events(&rooms, "BUDGET", i64::MAX, 10).expect("search");
    assert_eq!(ids(&found), ["$s2", "$s1"]);
    let found = store.search_events(&rooms, "budget", stored(store, "$s2").stream, 10).expect("search");
    assert_eq!(ids(&found), ["$s1"], "stream < before");
    let both = [room("!s:test"), room("!t:test")];
    assert_eq!(store.search_events(&both, "budget", i64::MAX, 1).expect("search").len(), 1, "limit");
    assert_eq!(store.search_events(&both, "budget", i64::MAX, 10).expect("search").len(), 3);
    assert!(store.search_events(&[], "budget", i64::MAX, 10).expect("search").is_empty());
}

/// A room created with an alias gets it in the same transaction; a taken alias writes nothing.
pub fn room_with_alias(store: &dyn Storage) {
    let alias = OwnedRoomAliasId::try_from("#forum:test").expect("alias");
    let create = |room_id: &str, tag: &str| {
        let new_room = crate::NewRoom { record: super::record(room_id, "@alice:test"), alias: Some(alias.clone()) };
        let events = vec![super::Chain::new(room_id).state(
            &format!("${tag}-create"),
            "@alice:test",
            "m.room.create",
            "",
            json!({}),
        )];
        store.append_events(Some(&new_room), &events)
    };
    create("!a:test", "a").expect("room with alias");
    assert_eq!(store.resolve_alias(&alias).expect("resolve").map(|(r, _)| r), Some(room("!a:test")));
    let max = store.max_stream().expect("max");
    assert!(is_conflict(create("!b:test", "b")), "a taken alias is a conflict");
    assert!(store.get_room(&room("!b:test")).expect("get").is_none(), "nothing of the room was written");
    assert_eq!(store.max_stream().expect("max"), max);
}
