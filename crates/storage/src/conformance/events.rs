//! Conformance: appending events (stream positions, state groups, forward extremities, redactions,
//! transaction ids) and its atomicity.

use std::collections::BTreeMap;

use ruma::{CanonicalJsonObject, CanonicalJsonValue, events::StateEventType};
use serde_json::json;

use super::{
    Chain, append, create_room, device, event_id, ids, is_conflict, new_room, pdu, room, stored, streams, user,
};
use crate::{Membership, NewEvent, Redaction, Storage};

/// Stream positions, state groups shared by messages, current state and memberships.
pub fn append_events_state_groups(store: &dyn Storage) {
    let before = store.max_stream().expect("max_stream");
    let mut c = Chain::new("!r:test");
    let batch = [
        c.state("$create", "@alice:test", "m.room.create", "", json!({ "room_version": "11" })),
        c.member("$join", "@alice:test", "join"),
        c.state("$rules", "@alice:test", "m.room.join_rules", "", json!({ "join_rule": "invite" })),
        c.message("$m1", "@alice:test", "one"),
    ];
    let first = store.append_events(Some(&new_room("!r:test", "@alice:test")), &batch).expect("append");
    let second = append(store, &[c.state("$topic", "@alice:test", "m.room.topic", "", json!({ "topic": "t" }))]);
    let third = append(store, &[c.message("$m2", "@alice:test", "two"), c.message("$m3", "@alice:test", "three")]);
    let positions: Vec<i64> = [first, second, third].concat();
    assert_eq!(positions.len(), 7);
    assert!(positions[0] > before, "positions start after the previous maximum");
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "positions increase: {positions:?}");
    assert_eq!(store.max_stream().expect("max_stream"), positions[6]);

    let [create, join, rules, m1, topic, m2, m3] =
        ["$create", "$join", "$rules", "$m1", "$topic", "$m2", "$m3"].map(|id| stored(store, id));
    assert_eq!(streams(&[create.clone(), join.clone(), m3.clone()]), [positions[0], positions[1], positions[6]]);
    assert_eq!(create.state_group_before, None, "nothing precedes the create event");
    assert_eq!(join.state_group_before, Some(create.state_group));
    assert_ne!(join.state_group, create.state_group, "a state event makes a new group");
    assert_eq!(rules.state_group_before, Some(join.state_group));
    assert_eq!((m1.state_group_before, m1.state_group), (Some(rules.state_group), rules.state_group), "shared");
    assert_eq!(topic.state_group_before, Some(rules.state_group));
    assert_ne!(topic.state_group, rules.state_group);
    assert_eq!((m2.state_group, m3.state_group), (topic.state_group, topic.state_group));
    assert_eq!(store.current_state_group(&room("!r:test")).expect("group"), Some(topic.state_group));

    let original = &batch[3].pdu;
    assert_eq!(m1.pdu.json, original.json, "stored JSON round-trips exactly");
    assert_eq!((m1.pdu.content_value(), &m1.pdu.sender), (original.content_value(), &original.sender));
    assert_eq!((m1.redacted_by.clone(), m1.txn.clone()), (None, None));

    let state = store.current_state(&room("!r:test")).expect("current state");
    let mut state_ids = ids(&state);
    state_ids.sort();
    assert_eq!(state_ids, ["$create", "$join", "$rules", "$topic"]);
    let got = store.current_state_event(&room("!r:test"), &StateEventType::RoomTopic, "").expect("lookup");
    assert_eq!(got.map(|e| e.pdu.event_id.to_string()).as_deref(), Some("$topic"));
    let none = store.current_state_event(&room("!r:test"), &StateEventType::RoomName, "").expect("lookup");
    assert!(none.is_none());

    let entries = |group| {
        let mut entries: Vec<(String, String, String)> = store
            .state_group_entries(group)
            .expect("entries")
            .into_iter()
            .map(|(kind, key, id)| (kind.to_string(), key, id.to_string()))
            .collect();
        entries.sort();
        entries
    };
    let entry = |kind: &str, key: &str, id: &str| (kind.to_owned(), key.to_owned(), id.to_owned());
    assert_eq!(entries(create.state_group), [entry("m.room.create", "", "$create")]);
    assert_eq!(
        entries(rules.state_group),
        [
            entry("m.room.create", "", "$create"),
            entry("m.room.join_rules", "", "$rules"),
            entry("m.room.member", "@alice:test", "$join")
        ]
    );
    assert_eq!(entries(topic.state_group).len(), 4);
    let lookup = |group, kind: StateEventType, key: &str| store.state_group_lookup(group, &kind, key).expect("lookup");
    assert_eq!(lookup(join.state_group, StateEventType::RoomJoinRules, ""), None);
    assert_eq!(lookup(rules.state_group, StateEventType::RoomJoinRules, ""), Some(event_id("$rules")));
    assert_eq!(lookup(topic.state_group, StateEventType::RoomMember, "@alice:test"), Some(event_id("$join")));
    assert_eq!(lookup(topic.state_group, StateEventType::RoomMember, "@bob:test"), None);

    let member = store.membership(&room("!r:test"), &user("@alice:test")).expect("membership").expect("member");
    assert_eq!((member.membership, member.event_id.as_str(), member.stream), (Membership::Join, "$join", positions[1]));
    assert!(!member.forgotten);

    append(store, &[c.member("$leave", "@alice:test", "leave")]);
    let member = store.membership(&room("!r:test"), &user("@alice:test")).expect("membership").expect("member");
    assert_eq!((member.membership, member.event_id.as_str()), (Membership::Leave, "$leave"));
    let got = store.current_state_event(&room("!r:test"), &StateEventType::RoomMember, "@alice:test").expect("get");
    assert_eq!(got.map(|e| e.pdu.event_id.to_string()).as_deref(), Some("$leave"), "current state replaced");
    assert_eq!(store.current_state(&room("!r:test")).expect("current state").len(), 4);
}

/// Long chains of state changes resolve correctly, across any snapshot a backend takes.
pub fn state_group_chains(store: &dyn Storage) {
    let mut chain = create_room(store, "!big:test", "big", "@alice:test", "invite");
    let mut expected: BTreeMap<(String, String), String> = BTreeMap::new();
    for (kind, key, id) in [("m.room.create", "", "$big-create"), ("m.room.member", "@alice:test", "$big-join")] {
        expected.insert((kind.into(), key.into()), id.into());
    }
    expected.insert(("m.room.join_rules".into(), String::new()), "$big-rules".into());

    // 150 changes over 40 keys: well past any sensible snapshot interval, with overwrites.
    let mut snapshots = Vec::new();
    let mut batch = Vec::new();
    for i in 0..150 {
        let (id, key) = (format!("$big-s{i}"), format!("k{}", i % 40));
        batch.push(chain.state(&id, "@alice:test", "org.example.setting", &key, json!({ "i": i })));
        expected.insert(("org.example.setting".into(), key), id.clone());
        snapshots.push((id, expected.clone()));
        if i % 7 == 6 {
            append(store, &std::mem::take(&mut batch));
        }
    }
    append(store, &batch);

    let kind = StateEventType::from("org.example.setting");
    for (id, state) in &snapshots {
        let group = stored(store, id).state_group;
        let mut got: Vec<((String, String), String)> = store
            .state_group_entries(group)
            .expect("entries")
            .into_iter()
            .map(|(kind, key, id)| ((kind.to_string(), key), id.to_string()))
            .collect();
        got.sort();
        let want: Vec<((String, String), String)> = state.clone().into_iter().collect();
        assert_eq!(got, want, "state after {id}");
        for key in ["k0", "k17", "k39"] {
            let want = state.get(&("org.example.setting".to_owned(), key.to_owned())).map(|id| event_id(id));
            assert_eq!(store.state_group_lookup(group, &kind, key).expect("lookup"), want, "{key} after {id}");
        }
        let create = store.state_group_lookup(group, &StateEventType::RoomCreate, "").expect("lookup");
        assert_eq!(create, Some(event_id("$big-create")), "the oldest entry stays visible after {id}");
        assert_eq!(store.state_group_lookup(group, &kind, "k40").expect("lookup"), None);
    }
    assert!(store.state_group_entries(i64::MAX).expect("unknown group").is_empty());
}

/// Forward extremities: an event replaces the extremities it follows.
pub fn forward_extremities(store: &dyn Storage) {
    let chain = create_room(store, "!r:test", "r", "@alice:test", "invite");
    let extremities = |store: &dyn Storage| {
        let mut got: Vec<(String, u64)> = store
            .forward_extremities(&room("!r:test"))
            .expect("extremities")
            .into_iter()
            .map(|(id, depth)| (id.to_string(), depth))
            .collect();
        got.sort();
        got
    };
    assert_eq!(extremities(store), [("$r-rules".to_owned(), chain.depth)]);
    let fork = |id: &str, prev: &[&str], depth| NewEvent {
        pdu: pdu(id, "!r:test", "@alice:test", "m.room.message", None, json!({ "body": id }), prev, depth),
        txn: None,
        redaction: None,
        media_links: Vec::new(),
    };
    append(store, &[fork("$a", &["$r-rules"], 4), fork("$b", &["$r-rules"], 4)]);
    assert_eq!(extremities(store), [("$a".to_owned(), 4), ("$b".to_owned(), 4)]);
    append(store, &[fork("$c", &["$a", "$b"], 5)]);
    assert_eq!(extremities(store), [("$c".to_owned(), 5)]);
}

/// A redaction replaces its target's JSON and records who redacted it, within one room only.
pub fn redactions(store: &dyn Storage) {
    let mut c1 = create_room(store, "!r1:test", "r1", "@alice:test", "invite");
    let mut c2 = create_room(store, "!r2:test", "r2", "@alice:test", "invite");
    append(store, &[c1.message("$secret", "@alice:test", "password=hunter2")]);
    append(store, &[c2.message("$other", "@alice:test", "elsewhere")]);

    let mut redacted_json = stored(store, "$secret").pdu.json.clone();
    redacted_json.insert("content".into(), CanonicalJsonValue::Object(CanonicalJsonObject::new()));
    let redaction = |chain: &mut Chain, id: &str, target: &str, redacted_json: &CanonicalJsonObject| NewEvent {
        redaction: Some(Redaction { target: event_id(target), redacted_json: redacted_json.clone() }),
        ..chain.event(id, "@alice:test", "m.room.redaction", None, json!({ "redacts": target }))
    };
    append(store, &[redaction(&mut c1, "$redact", "$secret", &redacted_json)]);
    let target = stored(store, "$secret");
    assert_eq!(target.pdu.json, redacted_json, "the target's JSON is replaced");
    assert_eq!(target.pdu.content_value(), json!({}));
    assert_eq!(target.redacted_by, Some(event_id("$redact")));
    assert_eq!(stored(store, "$redact").pdu.redacts, Some(event_id("$secret")));

    let other_before = stored(store, "$other").pdu.json.clone();
    append(store, &[redaction(&mut c1, "$cross", "$other", &redacted_json)]);
    let other = stored(store, "$other");
    assert_eq!((&other.pdu.json, other.redacted_by), (&other_before, None), "no redaction across rooms");
    append(store, &[redaction(&mut c1, "$ghost", "$never-seen", &redacted_json)]);
    assert!(store.get_event(&event_id("$never-seen")).expect("get").is_none(), "nothing conjured");
}

/// Client transaction ids: lookup by (user, device, txn id), and their uniqueness.
pub fn transaction_ids(store: &dyn Storage) {
    let mut c = create_room(store, "!r:test", "r", "@alice:test", "public");
    let alice = user("@alice:test");
    let with_txn = |mut event: NewEvent, dev: &str, txn: &str| {
        event.txn = Some((device(dev), txn.to_owned()));
        event
    };
    append(store, &[with_txn(c.message("$sent", "@alice:test", "hi"), "DEV1", "t1")]);
    assert_eq!(store.event_for_txn(&alice, &device("DEV1"), "t1").expect("txn"), Some(event_id("$sent")));
    assert_eq!(stored(store, "$sent").txn, Some((device("DEV1"), "t1".to_owned())));
    assert_eq!(store.event_for_txn(&alice, &device("DEV2"), "t1").expect("txn"), None, "per device");
    assert_eq!(store.event_for_txn(&alice, &device("DEV1"), "t2").expect("txn"), None);
    assert_eq!(store.event_for_txn(&user("@bob:test"), &device("DEV1"), "t1").expect("txn"), None, "per user");

    append(store, &[with_txn(c.message("$sent2", "@alice:test", "hi"), "DEV2", "t1")]);
    assert_eq!(store.event_for_txn(&alice, &device("DEV2"), "t1").expect("txn"), Some(event_id("$sent2")));
    let max = store.max_stream().expect("max_stream");
    let duplicate = store.append_events(None, &[with_txn(c.message("$dup", "@alice:test", "hi"), "DEV1", "t1")]);
    assert!(is_conflict(duplicate), "a reused transaction id is a Conflict");
    assert!(store.get_event(&event_id("$dup")).expect("get").is_none());
    assert_eq!(store.max_stream().expect("max_stream"), max);
}

/// `append_events` writes a whole batch or nothing.
pub fn append_events_is_atomic(store: &dyn Storage) {
    let start = store.max_stream().expect("max_stream");
    let mut c = Chain::new("!x:test");
    let batch = [
        c.state("$x-create", "@alice:test", "m.room.create", "", json!({ "room_version": "11" })),
        c.member("$x-create", "@alice:test", "join"),
    ];
    assert!(store.append_events(Some(&new_room("!x:test", "@alice:test")), &batch).is_err(), "duplicate event id");
    assert!(store.get_room(&room("!x:test")).expect("get").is_none(), "the room was not created");
    assert!(store.get_event(&event_id("$x-create")).expect("get").is_none(), "the first event was not kept");
    assert!(store.list_rooms().expect("list").is_empty());
    assert_eq!(store.max_stream().expect("max_stream"), start, "no stream position consumed");

    let mut c = create_room(store, "!r:test", "r", "@alice:test", "public");
    let max = store.max_stream().expect("max_stream");
    let group = store.current_state_group(&room("!r:test")).expect("group");
    let extremities = store.forward_extremities(&room("!r:test")).expect("extremities");
    let batch = [
        c.state("$r-topic", "@alice:test", "m.room.topic", "", json!({ "topic": "t" })),
        c.member("$r-bob", "@bob:test", "join"),
        c.message("$r-create", "@alice:test", "reuses an existing id"),
    ];
    assert!(is_conflict(store.append_events(None, &batch)), "a duplicate event id is a Conflict");
    for id in ["$r-topic", "$r-bob"] {
        assert!(store.get_event(&event_id(id)).expect("get").is_none(), "{id} rolled back");
    }
    assert_eq!(store.max_stream().expect("max_stream"), max);
    assert_eq!(store.current_state_group(&room("!r:test")).expect("group"), group);
    assert_eq!(store.forward_extremities(&room("!r:test")).expect("extremities"), extremities);
    assert!(store.current_state_event(&room("!r:test"), &StateEventType::RoomTopic, "").expect("get").is_none());
    assert!(store.membership(&room("!r:test"), &user("@bob:test")).expect("membership").is_none());
    assert_eq!(store.current_state(&room("!r:test")).expect("state").len(), 3);

    let mut fresh = Chain { room_id: "!r:test".into(), prev: Some("$r-rules".into()), depth: 3 };
    let ok = append(store, &[fresh.message("$r-after", "@alice:test", "still works")]);
    assert!(ok[0] > max);
}
