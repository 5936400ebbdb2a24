//! Building rooms end to end in memory for each supported version, and refusing what the
//! authorization rules refuse.

use std::sync::Arc;

use rempart_types::pdu::Pdu;
use ruma::{
    OwnedEventId, OwnedRoomId, RoomVersionId, ServerName, UserId,
    events::{StateEventType, TimelineEventType},
    signatures::Ed25519KeyPair,
};
use serde_json::json;

use crate::{BuildContext, EventTemplate, StateError, StateMap, build_event, redact_pdu, rules_for};

struct Room {
    version: RoomVersionId,
    room_id: Option<OwnedRoomId>,
    state: StateMap,
    prev: Vec<(OwnedEventId, u64)>,
    key: Ed25519KeyPair,
}

impl Room {
    fn new(version: RoomVersionId) -> Self {
        let key = Ed25519KeyPair::from_der(&Ed25519KeyPair::generate(), "k1".into()).unwrap();
        let room_id = (version != RoomVersionId::V12).then(|| OwnedRoomId::try_from("!test:example.org").unwrap());
        Self { version, room_id, state: StateMap::new(), prev: vec![], key }
    }

    fn send(
        &mut self,
        sender: &str,
        kind: &str,
        state_key: Option<&str>,
        content: serde_json::Value,
    ) -> Result<Pdu, StateError> {
        let rules = rules_for(&self.version)?;
        let sender = UserId::parse(sender).unwrap();
        let template = EventTemplate {
            kind: TimelineEventType::from(kind),
            content,
            state_key: state_key.map(Into::into),
            redacts: None,
        };
        let ctx = BuildContext {
            rules: &rules,
            room_id: self.room_id.as_deref(),
            prev_events: &self.prev,
            state: &self.state,
            origin: <&ServerName>::try_from("example.org").unwrap(),
            key: &self.key,
            now_millis: 1_700_000_000_000,
        };
        let pdu = build_event(template, &sender, &ctx)?;
        self.room_id.get_or_insert_with(|| pdu.room_id.clone());
        self.prev = vec![(pdu.event_id.clone(), pdu.depth)];
        if let Some(key) = &pdu.state_key {
            self.state.insert((StateEventType::from(kind), key.clone()), Arc::new(pdu.clone()));
        }
        Ok(pdu)
    }

    fn bootstrap(version: RoomVersionId) -> Self {
        let mut room = Self::new(version.clone());
        let mut create = json!({ "room_version": version.as_str() });
        if version == RoomVersionId::V10 {
            create["creator"] = "@alice:example.org".into();
        }
        room.send("@alice:example.org", "m.room.create", Some(""), create).unwrap();
        room.send("@alice:example.org", "m.room.member", Some("@alice:example.org"), json!({ "membership": "join" }))
            .unwrap();
        let users = if version == RoomVersionId::V12 { json!({}) } else { json!({ "@alice:example.org": 100 }) };
        room.send(
            "@alice:example.org",
            "m.room.power_levels",
            Some(""),
            json!({ "users": users, "state_default": 50 }),
        )
        .unwrap();
        room.send("@alice:example.org", "m.room.join_rules", Some(""), json!({ "join_rule": "invite" })).unwrap();
        room
    }
}

#[test]
fn every_supported_version_builds_a_room_and_enforces_its_rules() {
    for version in crate::SUPPORTED_VERSIONS {
        let mut room = Room::bootstrap(version.clone());
        let message = room
            .send("@alice:example.org", "m.room.message", None, json!({ "msgtype": "m.text", "body": "hi" }))
            .unwrap();
        assert!(message.event_id.as_str().starts_with('$'));
        assert_eq!(message.depth, 5);
        assert_eq!(message.prev_events.len(), 1);
        assert!(!message.auth_events.is_empty());

        // Bob is not invited: the join rule refuses him, and so does sending without joining.
        let join =
            room.send("@bob:example.org", "m.room.member", Some("@bob:example.org"), json!({ "membership": "join" }));
        assert!(matches!(join, Err(StateError::Forbidden(_))), "{version}: {join:?}");
        let send = room.send("@bob:example.org", "m.room.message", None, json!({ "body": "x" }));
        assert!(matches!(send, Err(StateError::Forbidden(_))), "{version}: {send:?}");

        // After an invite, the join passes; a member without power cannot change the name.
        room.send("@alice:example.org", "m.room.member", Some("@bob:example.org"), json!({ "membership": "invite" }))
            .unwrap();
        room.send("@bob:example.org", "m.room.member", Some("@bob:example.org"), json!({ "membership": "join" }))
            .unwrap();
        let rename = room.send("@bob:example.org", "m.room.name", Some(""), json!({ "name": "mine" }));
        assert!(matches!(rename, Err(StateError::Forbidden(_))), "{version}: {rename:?}");
        room.send("@alice:example.org", "m.room.name", Some(""), json!({ "name": "ours" })).unwrap();
    }
}

#[test]
fn version_12_room_ids_derive_from_the_create_event() {
    let room = Room::bootstrap(RoomVersionId::V12);
    let create = room.state.get(&(StateEventType::RoomCreate, String::new())).unwrap();
    assert_eq!(create.room_id.as_str()[1..], create.event_id.as_str()[1..]);
    assert!(!create.json.contains_key("room_id"));
}

#[test]
fn oversized_events_are_refused() {
    let mut room = Room::bootstrap(RoomVersionId::V11);
    let result = room.send("@alice:example.org", "m.room.message", None, json!({ "body": "x".repeat(70_000) }));
    assert!(matches!(result, Err(StateError::TooLarge)), "{result:?}");
}

#[test]
fn redaction_keeps_only_what_the_version_keeps() {
    let mut room = Room::bootstrap(RoomVersionId::V11);
    let message = room
        .send("@alice:example.org", "m.room.message", None, json!({ "msgtype": "m.text", "body": "secret" }))
        .unwrap();
    let redacted = redact_pdu(&message, &rules_for(&RoomVersionId::V11).unwrap()).unwrap();
    assert_eq!(redacted.content_value(), json!({}));
    assert_eq!(redacted.event_id, message.event_id);
}

use proptest::prelude::Strategy as _;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

    /// Parsing arbitrary (possibly hostile) JSON as a PDU returns an error or a PDU, never panics.
    #[test]
    fn pdu_parsing_never_panics(fields in proptest::collection::btree_map(
        proptest::prop_oneof![
            proptest::strategy::Just("type".to_owned()), proptest::strategy::Just("sender".to_owned()),
            proptest::strategy::Just("content".to_owned()), proptest::strategy::Just("depth".to_owned()),
            proptest::strategy::Just("origin_server_ts".to_owned()), proptest::strategy::Just("prev_events".to_owned()),
            proptest::strategy::Just("auth_events".to_owned()), proptest::strategy::Just("state_key".to_owned()),
            proptest::strategy::Just("redacts".to_owned()),
        ],
        proptest::prop_oneof![
            proptest::strategy::Just(json!(null)), proptest::strategy::Just(json!(-1)), proptest::strategy::Just(json!(9_007_199_254_740_991_i64)),
            proptest::strategy::Just(json!("@a:b")), proptest::strategy::Just(json!(["$x"])), proptest::strategy::Just(json!([1])),
            proptest::strategy::Just(json!({})), proptest::strategy::Just(json!("m.room.redaction")), ".{0,10}".prop_map(serde_json::Value::String),
        ],
        0..9,
    )) {
        let value = serde_json::Value::Object(fields.into_iter().collect());
        if let Ok(ruma::CanonicalJsonValue::Object(object)) = ruma::CanonicalJsonValue::try_from(value) {
            let _ = Pdu::from_json(OwnedEventId::try_from("$e").unwrap(), OwnedRoomId::try_from("!r:s").unwrap(), object);
        }
    }
}
