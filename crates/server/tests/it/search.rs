//! `POST /search`: finds text in the user's rooms, and nothing the user may not see.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_error};

async fn send(app: &TestApp, token: &str, room: &str, txn: &str, body: &str) {
    let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}");
    let (status, response) =
        app.request(Method::PUT, &path, Some(token), Some(json!({ "msgtype": "m.text", "body": body }))).await;
    assert_eq!(status, StatusCode::OK, "{response}");
}

#[tokio::test]
async fn search_finds_visible_messages_only() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app
        .create_room(
            &alice,
            json!({ "preset": "public_chat", "initial_state": [
        { "type": "m.room.history_visibility", "state_key": "", "content": { "history_visibility": "joined" } }
    ] }),
        )
        .await;
    send(&app, &alice, &room, "t1", "the quarterly Budget, before bob").await;
    let (status, _) =
        app.request(Method::POST, &format!("/_matrix/client/v3/rooms/{room}/join"), Some(&bob), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    send(&app, &alice, &room, "t2", "budget after bob joined").await;
    let private = app.create_room(&alice, json!({})).await;
    send(&app, &alice, &private, "t3", "secret budget").await;

    let search = json!({ "search_categories": { "room_events": { "search_term": "budget" } } });
    let (status, body) = app.request(Method::POST, "/_matrix/client/v3/search", Some(&bob), Some(search.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bodies: Vec<&str> = body["search_categories"]["room_events"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"]["content"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["budget after bob joined"],
        "bob sees neither history before his join nor alice's private room"
    );

    let (status, body) = app.request(Method::POST, "/_matrix/client/v3/search", Some(&alice), Some(search)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["search_categories"]["room_events"]["results"].as_array().unwrap().len(), 3);

    let empty = json!({ "search_categories": { "room_events": { "search_term": "  " } } });
    let result = app.request(Method::POST, "/_matrix/client/v3/search", Some(&alice), Some(empty)).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
}
