//! Rooms at the HTTP level: creation, sending, state, redaction, pagination, context, members,
//! membership changes, aliases, the public directory and history visibility.

use std::sync::atomic::{AtomicU64, Ordering};

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};

const V3: &str = "/_matrix/client/v3";
static TXN: AtomicU64 = AtomicU64::new(0);

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    app.request(Method::GET, &format!("{V3}{path}"), Some(token), None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("{V3}{path}"), Some(token), Some(body)).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::PUT, &format!("{V3}{path}"), Some(token), Some(body)).await
}

/// Sends a text message and returns its event id.
async fn send(app: &TestApp, token: &str, room: &str, text: &str) -> String {
    let txn = TXN.fetch_add(1, Ordering::Relaxed);
    let path = format!("/rooms/{room}/send/m.room.message/txn{txn}");
    let (status, body) = put(app, token, &path, json!({ "msgtype": "m.text", "body": text })).await;
    assert_eq!(status, StatusCode::OK, "send: {body}");
    body["event_id"].as_str().expect("event_id").to_owned()
}

async fn ok(result: (StatusCode, Value)) -> Value {
    assert_eq!(result.0, StatusCode::OK, "{}", result.1);
    result.1
}

/// Bodies of the messages in a chunk, in order.
fn bodies(chunk: &Value) -> Vec<String> {
    let events = chunk.as_array().cloned().unwrap_or_default();
    events.iter().filter(|e| e["type"] == "m.room.message").filter_map(|e| e["content"]["body"].as_str().map(ToOwned::to_owned)).collect()
}

/// Percent-encodes a query or path component.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn state_of<'a>(state: &'a Value, kind: &str, key: &str) -> Option<&'a Value> {
    state.as_array()?.iter().find(|e| e["type"] == kind && e["state_key"] == key).map(|e| &e["content"])
}

#[tokio::test]
async fn create_room_presets_initial_state_and_bad_input() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, _) = app.register("bob").await;
    let room = app
        .create_room(
            &alice,
            json!({ "preset": "public_chat", "name": "Forum", "topic": "Talk", "initial_state": [
                { "type": "m.room.history_visibility", "content": { "history_visibility": "world_readable" } },
                { "type": "org.example.custom", "state_key": "k", "content": { "a": 1 } },
            ]}),
        )
        .await;
    let state = ok(get(&app, &alice, &format!("/rooms/{room}/state")).await).await;
    assert_eq!(state_of(&state, "m.room.join_rules", "").unwrap()["join_rule"], "public");
    assert_eq!(state_of(&state, "m.room.name", "").unwrap()["name"], "Forum");
    assert_eq!(state_of(&state, "m.room.topic", "").unwrap()["topic"], "Talk");
    assert_eq!(state_of(&state, "m.room.history_visibility", "").unwrap()["history_visibility"], "world_readable");
    assert_eq!(state_of(&state, "org.example.custom", "k").unwrap()["a"], 1);

    let private = app.create_room(&alice, json!({ "preset": "trusted_private_chat", "invite": [bob_id] })).await;
    let state = ok(get(&app, &alice, &format!("/rooms/{private}/state")).await).await;
    assert_eq!(state_of(&state, "m.room.join_rules", "").unwrap()["join_rule"], "invite");
    assert_eq!(state_of(&state, "m.room.power_levels", "").unwrap()["users"][bob_id.as_str()], 100);
    assert_eq!(state_of(&state, "m.room.member", &bob_id).unwrap()["membership"], "invite");

    let create = |body: Value| app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(body));
    let bad_state = json!({ "initial_state": [{ "type": "m.room.topic", "content": "not an object" }] });
    assert_error(&create(bad_state).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&create(json!({ "initial_state": [{ "content": {} }] })).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&create(json!({ "initial_state": {} })).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&create(json!({ "preset": "nonsense" })).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&create(json!({ "creation_content": 3 })).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&create(json!({ "room_version": "999" })).await, StatusCode::BAD_REQUEST, "M_UNSUPPORTED_ROOM_VERSION");
    assert_error(&create(json!({ "invite": ["@nobody:localhost"] })).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(&create(json!({ "room_alias_name": "a:b" })).await, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn create_room_with_alias() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat", "room_alias_name": "forum" })).await;
    let canonical = ok(get(&app, &alice, &format!("/rooms/{room}/state/m.room.canonical_alias")).await).await;
    assert_eq!(canonical["alias"], "#forum:localhost");
    let resolved = ok(get(&app, &alice, "/directory/room/%23forum:localhost").await).await;
    assert_eq!(resolved["room_id"], room.as_str());
    let taken = app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(json!({ "room_alias_name": "forum" }))).await;
    assert_error(&taken, StatusCode::BAD_REQUEST, "M_ROOM_IN_USE");
}

#[tokio::test]
async fn send_is_idempotent_per_transaction() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({})).await;
    let path = format!("/rooms/{room}/send/m.room.message/same-txn");
    let first = ok(put(&app, &alice, &path, json!({ "body": "hi", "msgtype": "m.text" })).await).await;
    let again = ok(put(&app, &alice, &path, json!({ "body": "hi", "msgtype": "m.text" })).await).await;
    assert_eq!(first["event_id"], again["event_id"]);
    let other = send(&app, &alice, &room, "hi").await;
    assert_ne!(first["event_id"], other.as_str());

    let event_id = first["event_id"].as_str().unwrap();
    let event = ok(get(&app, &alice, &format!("/rooms/{room}/event/{event_id}")).await).await;
    assert_eq!(event["content"]["body"], "hi");
    assert_eq!(event["room_id"], room.as_str());
    assert_eq!(event["unsigned"]["transaction_id"], "same-txn");

    let result = put(&app, &alice, &format!("/rooms/{room}/send/m.room.message/t2"), json!(["not", "an", "object"])).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let raw = app
        .raw_request(Method::PUT, &format!("{V3}/rooms/{room}/send/m.room.message/t3"), Some(&alice), b"{nope".to_vec(), "application/json")
        .await;
    assert_error(&raw, StatusCode::BAD_REQUEST, "M_NOT_JSON");
    let stranger = put(&app, &bob, &format!("/rooms/{room}/send/m.room.message/t4"), json!({ "body": "x" })).await;
    assert_error(&stranger, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(&get(&app, &bob, &format!("/rooms/{room}/event/{event_id}")).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let missing = get(&app, &alice, &format!("/rooms/{room}/event/$doesnotexist")).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn state_events_with_and_without_state_key() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({})).await;
    let set = ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.topic"), json!({ "topic": "one" })).await).await;
    for path in [format!("/rooms/{room}/state/m.room.topic"), format!("/rooms/{room}/state/m.room.topic/")] {
        assert_eq!(ok(get(&app, &alice, &path).await).await, json!({ "topic": "one" }));
    }
    let r0 = app.request(Method::GET, &format!("/_matrix/client/r0/rooms/{room}/state/m.room.topic/"), Some(&alice), None).await;
    assert_eq!(ok(r0).await["topic"], "one");
    ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.topic/"), json!({ "topic": "two" })).await).await;
    let event = ok(get(&app, &alice, &format!("/rooms/{room}/state/m.room.topic/?format=event")).await).await;
    assert_eq!(event["content"]["topic"], "two");
    assert_eq!(event["sender"], alice_id.as_str());
    assert_eq!(event["unsigned"]["prev_content"]["topic"], "one");
    assert_ne!(event["event_id"], set["event_id"]);

    // The same state again is not a new event.
    let again = ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.topic"), json!({ "topic": "two" })).await).await;
    assert_eq!(again["event_id"], event["event_id"]);

    ok(put(&app, &alice, &format!("/rooms/{room}/state/org.example.thing/some%2Fkey"), json!({ "v": 1 })).await).await;
    assert_eq!(ok(get(&app, &alice, &format!("/rooms/{room}/state/org.example.thing/some%2Fkey")).await).await["v"], 1);
    let missing = get(&app, &alice, &format!("/rooms/{room}/state/org.example.thing/other")).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(&get(&app, &bob, &format!("/rooms/{room}/state/m.room.topic")).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(&get(&app, &bob, &format!("/rooms/{room}/state")).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let intruder = put(&app, &bob, &format!("/rooms/{room}/state/m.room.topic"), json!({ "topic": "mine" })).await;
    assert_error(&intruder, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let bad_alias = put(&app, &alice, &format!("/rooms/{room}/state/m.room.canonical_alias"), json!({ "alias": "#nope:localhost" })).await;
    assert_error(&bad_alias, StatusCode::BAD_REQUEST, "M_BAD_ALIAS");
}

#[tokio::test]
async fn redaction_strips_content_everywhere() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    ok(post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await).await;
    let target = send(&app, &alice, &room, "secret").await;
    let refused = put(&app, &bob, &format!("/rooms/{room}/redact/{target}/r1"), json!({})).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let redaction = ok(put(&app, &alice, &format!("/rooms/{room}/redact/{target}/r2"), json!({ "reason": "oops" })).await).await;
    let again = ok(put(&app, &alice, &format!("/rooms/{room}/redact/{target}/r2"), json!({ "reason": "oops" })).await).await;
    assert_eq!(redaction["event_id"], again["event_id"]);

    let event = ok(get(&app, &bob, &format!("/rooms/{room}/event/{target}")).await).await;
    assert_eq!(event["content"], json!({}));
    assert_eq!(event["unsigned"]["redacted_because"]["event_id"], redaction["event_id"]);
    let page = ok(get(&app, &bob, &format!("/rooms/{room}/messages?dir=b&limit=5")).await).await;
    let redacted = page["chunk"].as_array().unwrap().iter().find(|e| e["event_id"] == target.as_str()).expect("in timeline");
    assert_eq!(redacted["content"], json!({}));
    let redaction_id = redaction["event_id"].as_str().unwrap();
    let redaction_event = ok(get(&app, &bob, &format!("/rooms/{room}/event/{redaction_id}")).await).await;
    assert_eq!(redaction_event["content"]["redacts"], target.as_str());
    assert_eq!(redaction_event["content"]["reason"], "oops");
    let create_id = ok(get(&app, &alice, &format!("/rooms/{room}/state/m.room.create?format=event")).await).await["event_id"].clone();
    let create_id = create_id.as_str().unwrap();
    assert_error(&put(&app, &alice, &format!("/rooms/{room}/redact/{create_id}/r3"), json!({})).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
}

#[tokio::test]
async fn messages_paginate_both_ways_with_tokens() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let room = app.create_room(&alice, json!({})).await;
    for i in 0..5 {
        send(&app, &alice, &room, &format!("m{i}")).await;
    }
    let page = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&limit=2")).await).await;
    assert_eq!(bodies(&page["chunk"]), ["m4", "m3"]);
    let end = page["end"].as_str().unwrap().to_owned();
    let page = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&limit=2&from={end}")).await).await;
    assert_eq!(page["start"], end.as_str());
    assert_eq!(bodies(&page["chunk"]), ["m2", "m1"]);
    let end2 = page["end"].as_str().unwrap().to_owned();
    let forward = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=f&limit=2&from={end2}")).await).await;
    assert_eq!(bodies(&forward["chunk"]), ["m1", "m2"]);
    let bounded = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&to={end}")).await).await;
    assert_eq!(bodies(&bounded["chunk"]), ["m4", "m3"]);
    let sync_token = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&limit=1&from=s999999_0")).await).await;
    assert_eq!(bodies(&sync_token["chunk"]), ["m4"]);
    let all = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&limit=100")).await).await;
    assert!(all.get("end").is_none(), "no end token once the room's start is reached: {all}");
    assert_eq!(all["chunk"].as_array().unwrap().last().unwrap()["type"], "m.room.create");

    let filter = enc(r#"{"types":["m.room.message"],"lazy_load_members":true}"#);
    let filtered = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=f&limit=100&filter={filter}")).await).await;
    assert_eq!(bodies(&filtered["chunk"]), ["m0", "m1", "m2", "m3", "m4"]);
    assert!(filtered["chunk"].as_array().unwrap().iter().all(|e| e["type"] == "m.room.message"));
    assert!(filtered["state"].as_array().unwrap().iter().any(|e| e["type"] == "m.room.member"));

    let bad = get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&from=garbage")).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    assert_eq!(get(&app, &alice, &format!("/rooms/{room}/messages?dir=x")).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn context_returns_surrounding_events_and_tokens() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let room = app.create_room(&alice, json!({})).await;
    let mut ids = vec![];
    for i in 0..5 {
        ids.push(send(&app, &alice, &room, &format!("m{i}")).await);
    }
    let context = ok(get(&app, &alice, &format!("/rooms/{room}/context/{}?limit=4", ids[2])).await).await;
    assert_eq!(context["event"]["event_id"], ids[2].as_str());
    assert_eq!(bodies(&context["events_before"]), ["m1", "m0"]);
    assert_eq!(bodies(&context["events_after"]), ["m3", "m4"]);
    assert!(state_of(&context["state"], "m.room.create", "").is_some());
    let start = context["start"].as_str().unwrap();
    let end = context["end"].as_str().unwrap();
    let older = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=b&limit=10&from={start}")).await).await;
    assert!(bodies(&older["chunk"]).is_empty(), "only the room's creation is older: {older}");
    let newer = ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=f&limit=10&from={end}")).await).await;
    assert!(newer["chunk"].as_array().unwrap().is_empty());
    let (_, bob) = app.register("bob").await;
    let hidden = get(&app, &bob, &format!("/rooms/{room}/context/{}", ids[2])).await;
    assert_error(&hidden, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn members_filters_and_membership_changes() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (carol_id, carol) = app.register("carol").await;
    let room = app.create_room(&alice, json!({ "preset": "private_chat" })).await;
    assert_error(&post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let ghost = post(&app, &alice, &format!("/rooms/{room}/invite"), json!({ "user_id": "@ghost:localhost" })).await;
    assert_error(&ghost, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    ok(post(&app, &alice, &format!("/rooms/{room}/invite"), json!({ "user_id": bob_id })).await).await;
    ok(post(&app, &alice, &format!("/rooms/{room}/invite"), json!({ "user_id": carol_id })).await).await;
    assert_eq!(ok(post(&app, &bob, &format!("/join/{}", enc(&room)), json!({})).await).await["room_id"], room.as_str());
    assert_eq!(ok(get(&app, &bob, "/joined_rooms").await).await["joined_rooms"], json!([room]));

    let members = |query: &'static str| {
        let path = format!("/rooms/{room}/members{query}");
        let token = alice.clone();
        let app = &app;
        async move {
            let body = ok(get(app, &token, &path).await).await;
            let mut users: Vec<String> =
                body["chunk"].as_array().unwrap().iter().map(|e| e["state_key"].as_str().unwrap().to_owned()).collect();
            users.sort();
            users
        }
    };
    assert_eq!(members("").await, [alice_id.clone(), bob_id.clone(), carol_id.clone()]);
    assert_eq!(members("?membership=join").await, [alice_id.clone(), bob_id.clone()]);
    assert_eq!(members("?not_membership=join").await, [carol_id.clone()]);
    assert_eq!(get(&app, &alice, &format!("/rooms/{room}/members?membership=bogus")).await.0, StatusCode::BAD_REQUEST);
    let joined = ok(get(&app, &alice, &format!("/rooms/{room}/joined_members")).await).await;
    assert_eq!(joined["joined"][bob_id.as_str()]["display_name"], "bob");
    assert!(joined["joined"].get(carol_id.as_str()).is_none());

    // Bob (power 0) cannot kick or ban; Alice can.
    let kick = post(&app, &bob, &format!("/rooms/{room}/kick"), json!({ "user_id": alice_id })).await;
    assert_error(&kick, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(post(&app, &alice, &format!("/rooms/{room}/kick"), json!({ "user_id": bob_id, "reason": "bye" })).await).await;
    assert_error(&post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(post(&app, &alice, &format!("/rooms/{room}/ban"), json!({ "user_id": carol_id })).await).await;
    assert_error(&post(&app, &carol, &format!("/rooms/{room}/join"), json!({})).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(post(&app, &alice, &format!("/rooms/{room}/unban"), json!({ "user_id": carol_id })).await).await;
    assert_eq!(members("?membership=leave").await, [bob_id.clone(), carol_id.clone()]);

    // Leaving and forgetting.
    assert_eq!(post(&app, &alice, &format!("/rooms/{room}/forget"), json!({})).await.0, StatusCode::BAD_REQUEST);
    ok(post(&app, &bob, &format!("/rooms/{room}/forget"), json!({})).await).await;
    ok(post(&app, &alice, &format!("/rooms/{room}/leave"), json!({})).await).await;
    assert_eq!(ok(get(&app, &alice, "/joined_rooms").await).await["joined_rooms"], json!([]));

    // Knocking needs a knock join rule.
    let knockable =
        app.create_room(&carol, json!({ "initial_state": [{ "type": "m.room.join_rules", "content": { "join_rule": "knock" } }] })).await;
    ok(post(&app, &bob, &format!("/knock/{}", enc(&knockable)), json!({ "reason": "let me in" })).await).await;
    let state = ok(get(&app, &carol, &format!("/rooms/{knockable}/state/m.room.member/{bob_id}")).await).await;
    assert_eq!(state["membership"], "knock");
    let public = app.create_room(&carol, json!({ "preset": "public_chat" })).await;
    assert_error(&post(&app, &bob, &format!("/knock/{}", enc(&public)), json!({})).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let unknown = post(&app, &bob, "/join/%23nowhere:localhost", json!({})).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let remote = post(&app, &bob, "/join/%23room:elsewhere.example", json!({})).await;
    assert_error(&remote, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn aliases_create_resolve_and_delete() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    let alias = "/directory/room/%23team:localhost";
    ok(put(&app, &alice, alias, json!({ "room_id": room })).await).await;
    let resolved = app.request(Method::GET, &format!("{V3}{alias}"), None, None).await;
    assert_eq!(ok(resolved).await, json!({ "room_id": room, "servers": ["localhost"] }));
    assert_error(&put(&app, &alice, alias, json!({ "room_id": room })).await, StatusCode::CONFLICT, "M_UNKNOWN");
    let outsider = put(&app, &bob, "/directory/room/%23bobs:localhost", json!({ "room_id": room })).await;
    assert_error(&outsider, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let remote = put(&app, &alice, "/directory/room/%23x:elsewhere.example", json!({ "room_id": room })).await;
    assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let nowhere = put(&app, &alice, "/directory/room/%23y:localhost", json!({ "room_id": "!missing:localhost" })).await;
    assert_error(&nowhere, StatusCode::NOT_FOUND, "M_NOT_FOUND");

    assert_eq!(ok(get(&app, &alice, &format!("/rooms/{room}/aliases")).await).await["aliases"], json!(["#team:localhost"]));
    assert_error(&get(&app, &bob, &format!("/rooms/{room}/aliases")).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.canonical_alias"), json!({ "alias": "#team:localhost" })).await).await;

    let delete = format!("{V3}{alias}");
    assert_error(&app.request(Method::DELETE, &delete, Some(&bob), None).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(app.request(Method::DELETE, &delete, Some(&alice), None).await).await;
    assert_error(&get(&app, &alice, alias).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(&app.request(Method::DELETE, &delete, Some(&alice), None).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    // Deleting the alias dropped it from the canonical alias event.
    let canonical = ok(get(&app, &alice, &format!("/rooms/{room}/state/m.room.canonical_alias")).await).await;
    assert!(canonical.get("alias").is_none(), "{canonical}");
}

#[tokio::test]
async fn public_directory_lists_published_rooms_to_accounts_only() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let forum = app.create_room(&alice, json!({ "visibility": "public", "preset": "public_chat", "name": "Forum", "topic": "Everything" })).await;
    let news = app.create_room(&alice, json!({ "visibility": "public", "preset": "public_chat", "name": "News" })).await;
    ok(post(&app, &bob, &format!("/rooms/{news}/join"), json!({})).await).await;
    app.create_room(&alice, json!({ "name": "Private" })).await;

    let anonymous = app.request(Method::GET, &format!("{V3}/publicRooms"), None, None).await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    let listing = ok(get(&app, &bob, "/publicRooms").await).await;
    assert_eq!(listing["total_room_count_estimate"], 2);
    let chunk = listing["chunk"].as_array().unwrap();
    assert_eq!(chunk[0]["room_id"], news.as_str(), "most joined first");
    assert_eq!(chunk[0]["num_joined_members"], 2);
    assert_eq!(chunk[1]["name"], "Forum");
    assert_eq!(chunk[1]["topic"], "Everything");
    assert_eq!(chunk[1]["world_readable"], false);

    let first = ok(get(&app, &bob, "/publicRooms?limit=1").await).await;
    assert_eq!(first["chunk"].as_array().unwrap().len(), 1);
    let since = first["next_batch"].as_str().unwrap();
    let second = ok(get(&app, &bob, &format!("/publicRooms?limit=1&since={since}")).await).await;
    assert_eq!(second["chunk"][0]["room_id"], forum.as_str());
    assert!(second.get("next_batch").is_none());
    let searched = ok(post(&app, &bob, "/publicRooms", json!({ "filter": { "generic_search_term": "everyTHING" } })).await).await;
    assert_eq!(searched["chunk"].as_array().unwrap().len(), 1);
    assert_eq!(searched["chunk"][0]["room_id"], forum.as_str());

    let visibility = format!("/directory/list/room/{forum}");
    assert_eq!(ok(get(&app, &bob, &visibility).await).await["visibility"], "public");
    assert_error(&put(&app, &bob, &visibility, json!({ "visibility": "private" })).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(put(&app, &alice, &visibility, json!({ "visibility": "private" })).await).await;
    assert_eq!(ok(get(&app, &bob, &visibility).await).await["visibility"], "private");
    assert_eq!(ok(get(&app, &bob, "/publicRooms").await).await["total_room_count_estimate"], 1);
    let missing = get(&app, &bob, "/directory/list/room/!missing:localhost").await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

/// Alice sends one message before inviting Bob, one after, one after he joins and one after he
/// leaves; returns what Bob (and a stranger) can read.
async fn history_as_seen(visibility: &str) -> (Vec<String>, Vec<String>, StatusCode) {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, carol) = app.register("carol").await;
    let initial = json!([{ "type": "m.room.history_visibility", "content": { "history_visibility": visibility } }]);
    let room = app.create_room(&alice, json!({ "preset": "public_chat", "initial_state": initial })).await;
    send(&app, &alice, &room, "before-invite").await;
    ok(post(&app, &alice, &format!("/rooms/{room}/invite"), json!({ "user_id": bob_id })).await).await;
    send(&app, &alice, &room, "after-invite").await;
    ok(post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await).await;
    send(&app, &alice, &room, "after-join").await;
    let mut seen = bodies(&ok(get(&app, &bob, &format!("/rooms/{room}/messages?dir=b&limit=50")).await).await["chunk"]);
    seen.reverse();
    ok(post(&app, &bob, &format!("/rooms/{room}/leave"), json!({})).await).await;
    send(&app, &alice, &room, "after-leave").await;
    let mut after_leaving = bodies(&ok(get(&app, &bob, &format!("/rooms/{room}/messages?dir=b&limit=50")).await).await["chunk"]);
    after_leaving.reverse();
    let stranger = get(&app, &carol, &format!("/rooms/{room}/messages?dir=b&limit=50")).await.0;
    (seen, after_leaving, stranger)
}

#[tokio::test]
async fn history_visibility_rules() {
    let (seen, left, stranger) = history_as_seen("joined").await;
    assert_eq!(seen, ["after-join"]);
    assert_eq!(left, ["after-join"]);
    assert_eq!(stranger, StatusCode::FORBIDDEN);
    let (seen, left, _) = history_as_seen("invited").await;
    assert_eq!(seen, ["after-invite", "after-join"]);
    assert_eq!(left, ["after-invite", "after-join"]);
    let (seen, left, stranger) = history_as_seen("shared").await;
    assert_eq!(seen, ["before-invite", "after-invite", "after-join"]);
    assert!(!left.contains(&"after-leave".to_owned()), "{left:?}");
    assert_eq!(stranger, StatusCode::FORBIDDEN);
    let (seen, left, stranger) = history_as_seen("world_readable").await;
    assert_eq!(seen, ["before-invite", "after-invite", "after-join"]);
    assert_eq!(left, ["before-invite", "after-invite", "after-join", "after-leave"]);
    assert_eq!(stranger, StatusCode::OK);
}

#[tokio::test]
async fn suspended_accounts_read_leave_and_redact_their_own_events_only() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    ok(post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await).await;
    let own = send(&app, &bob, &room, "mine").await;
    let user = ruma::OwnedUserId::try_from(bob_id).unwrap();
    app.services.store.set_account_status(&user, rempart_storage::AccountStatus::Suspended).unwrap();

    let suspended = |result: &(StatusCode, Value)| assert_error(result, StatusCode::FORBIDDEN, "M_USER_SUSPENDED");
    suspended(&put(&app, &bob, &format!("/rooms/{room}/send/m.room.message/s1"), json!({ "body": "x" })).await);
    suspended(&put(&app, &bob, &format!("/rooms/{room}/state/org.example/k"), json!({})).await);
    suspended(&post(&app, &bob, "/createRoom", json!({})).await);
    suspended(&put(&app, &bob, "/directory/room/%23b:localhost", json!({ "room_id": room })).await);
    ok(get(&app, &bob, &format!("/rooms/{room}/messages?dir=b")).await).await;
    ok(put(&app, &bob, &format!("/rooms/{room}/redact/{own}/s2"), json!({})).await).await;
    ok(post(&app, &bob, &format!("/rooms/{room}/leave"), json!({})).await).await;
    suspended(&post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await);
}

#[tokio::test]
async fn publishing_can_be_reserved_to_server_admins() {
    let app = TestApp::with_config(|c| c.rooms.publish_requires_state_power = false).await;
    let (_, alice) = app.register("alice").await;
    let refused = post(&app, &alice, "/createRoom", json!({ "visibility": "public" })).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    let listed = put(&app, &alice, &format!("/directory/list/room/{room}"), json!({ "visibility": "public" })).await;
    assert_error(&listed, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let bad = put(&app, &alice, &format!("/directory/list/room/{room}"), json!({ "visibility": "sideways" })).await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST, "{}", bad.1);
}
