//! Users who never joined a room (a withdrawn knock, a rejected invite, a ban) cannot read its
//! state through sync or `/context`.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, encode};

fn member_keys(events: &Value) -> Vec<String> {
    events
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "m.room.member")
        .filter_map(|e| e["state_key"].as_str().map(ToOwned::to_owned))
        .collect()
}

#[tokio::test]
async fn a_withdrawn_knock_reveals_no_state() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (mallory_id, mallory) = app.register("mallory").await;
    let initial = json!([{ "type": "m.room.join_rules", "content": { "join_rule": "knock" } }]);
    let room = app.create_room(&alice, json!({ "preset": "private_chat", "initial_state": initial })).await;
    let (status, body) =
        app.request(Method::POST, &format!("/_matrix/client/v3/knock/{room}"), Some(&mallory), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .request(Method::POST, &format!("/_matrix/client/v3/rooms/{room}/leave"), Some(&mallory), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let filter = encode(&json!({ "room": { "include_leave": true } }).to_string());
    let (status, sync) = app
        .request(Method::GET, &format!("/_matrix/client/v3/sync?full_state=true&filter={filter}"), Some(&mallory), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let left = &sync["rooms"]["leave"][&room];
    assert!(!left.is_null(), "the left room is listed: {sync}");
    let state = member_keys(&left["state"]["events"]);
    assert!(!state.contains(&alice_id), "the member list leaked through sync: {left}");
    let timeline = member_keys(&left["timeline"]["events"]);
    assert!(timeline.iter().all(|k| *k == mallory_id), "only her own membership events: {timeline:?}");

    // Her own knock event is hers to see, but not the state around it.
    let knock = left["timeline"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["content"]["membership"] == "knock")
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .expect("her knock is in her timeline");
    let (status, context) = app
        .request(Method::GET, &format!("/_matrix/client/v3/rooms/{room}/context/{knock}"), Some(&mallory), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{context}");
    assert!(!member_keys(&context["state"]).contains(&alice_id), "the member list leaked through /context: {context}");
}
