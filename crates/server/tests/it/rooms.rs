//! Rooms at the HTTP level: creation, sending, state, redaction, pagination, context, members,
//! membership changes, aliases, the public directory and history visibility. Shared helpers
//! live here; each submodule covers one area.

mod directory;
mod history;
mod membership;
mod timeline;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, encode as enc, send_text as send};

const V3: &str = "/_matrix/client/v3";

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    app.request(Method::GET, &format!("{V3}{path}"), Some(token), None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("{V3}{path}"), Some(token), Some(body)).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::PUT, &format!("{V3}{path}"), Some(token), Some(body)).await
}

async fn ok(result: (StatusCode, Value)) -> Value {
    assert_eq!(result.0, StatusCode::OK, "{}", result.1);
    result.1
}

/// Bodies of the messages in a chunk, in order.
fn bodies(chunk: &Value) -> Vec<String> {
    let events = chunk.as_array().cloned().unwrap_or_default();
    events
        .iter()
        .filter(|e| e["type"] == "m.room.message")
        .filter_map(|e| e["content"]["body"].as_str().map(ToOwned::to_owned))
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
    assert_error(
        &create(json!({ "room_version": "999" })).await,
        StatusCode::BAD_REQUEST,
        "M_UNSUPPORTED_ROOM_VERSION",
    );
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
    let taken = app
        .request(
            Method::POST,
            "/_matrix/client/v3/createRoom",
            Some(&alice),
            Some(json!({ "room_alias_name": "forum" })),
        )
        .await;
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

    let result =
        put(&app, &alice, &format!("/rooms/{room}/send/m.room.message/t2"), json!(["not", "an", "object"])).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let raw = app
        .raw_request(
            Method::PUT,
            &format!("{V3}/rooms/{room}/send/m.room.message/t3"),
            Some(&alice),
            b"{nope".to_vec(),
            "application/json",
        )
        .await;
    assert_error(&raw, StatusCode::BAD_REQUEST, "M_NOT_JSON");
    let stranger = put(&app, &bob, &format!("/rooms/{room}/send/m.room.message/t4"), json!({ "body": "x" })).await;
    assert_error(&stranger, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(
        &get(&app, &bob, &format!("/rooms/{room}/event/{event_id}")).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    let missing = get(&app, &alice, &format!("/rooms/{room}/event/$doesnotexist")).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn state_events_with_and_without_state_key() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({})).await;
    let set =
        ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.topic"), json!({ "topic": "one" })).await).await;
    for path in [format!("/rooms/{room}/state/m.room.topic"), format!("/rooms/{room}/state/m.room.topic/")] {
        assert_eq!(ok(get(&app, &alice, &path).await).await, json!({ "topic": "one" }));
    }
    let r0 = app
        .request(Method::GET, &format!("/_matrix/client/r0/rooms/{room}/state/m.room.topic/"), Some(&alice), None)
        .await;
    assert_eq!(ok(r0).await["topic"], "one");
    ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.topic/"), json!({ "topic": "two" })).await).await;
    let event = ok(get(&app, &alice, &format!("/rooms/{room}/state/m.room.topic/?format=event")).await).await;
    assert_eq!(event["content"]["topic"], "two");
    assert_eq!(event["sender"], alice_id.as_str());
    assert_eq!(event["unsigned"]["prev_content"]["topic"], "one");
    assert_ne!(event["event_id"], set["event_id"]);

    // The same state again is not a new event.
    let again =
        ok(put(&app, &alice, &format!("/rooms/{room}/state/m.room.topic"), json!({ "topic": "two" })).await).await;
    assert_eq!(again["event_id"], event["event_id"]);

    ok(put(&app, &alice, &format!("/rooms/{room}/state/org.example.thing/some%2Fkey"), json!({ "v": 1 })).await).await;
    assert_eq!(ok(get(&app, &alice, &format!("/rooms/{room}/state/org.example.thing/some%2Fkey")).await).await["v"], 1);
    let missing = get(&app, &alice, &format!("/rooms/{room}/state/org.example.thing/other")).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(
        &get(&app, &bob, &format!("/rooms/{room}/state/m.room.topic")).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    assert_error(&get(&app, &bob, &format!("/rooms/{room}/state")).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let intruder = put(&app, &bob, &format!("/rooms/{room}/state/m.room.topic"), json!({ "topic": "mine" })).await;
    assert_error(&intruder, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let bad_alias = put(
        &app,
        &alice,
        &format!("/rooms/{room}/state/m.room.canonical_alias"),
        json!({ "alias": "#nope:localhost" }),
    )
    .await;
    assert_error(&bad_alias, StatusCode::BAD_REQUEST, "M_BAD_ALIAS");
}
