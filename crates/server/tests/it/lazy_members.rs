//! Lazy-loaded members in sync: the senders of the timeline always come with their member
//! events, in initial and in incremental syncs.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, encode, send_text};

fn member_keys(sync: &Value, room: &str) -> Vec<String> {
    let mut keys: Vec<String> = sync["rooms"]["join"][room]["state"]["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "m.room.member")
        .filter_map(|e| e["state_key"].as_str().map(ToOwned::to_owned))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn lazy_loading_sends_the_senders_member_events() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, carol) = app.register("carol").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    for token in [&bob, &carol] {
        let (status, _) =
            app.request(Method::POST, &format!("/_matrix/client/v3/join/{room}"), Some(token), Some(json!({}))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let filter =
        encode(&json!({ "room": { "state": { "lazy_load_members": true }, "timeline": { "limit": 1 } } }).to_string());
    send_text(&app, &alice, &room, "from alice").await;
    let (status, initial) =
        app.request(Method::GET, &format!("/_matrix/client/v3/sync?filter={filter}"), Some(&bob), None).await;
    assert_eq!(status, StatusCode::OK, "{initial}");
    assert_eq!(
        member_keys(&initial, &room),
        vec![alice_id.clone(), bob_id.clone()],
        "carol sent nothing in the timeline"
    );

    send_text(&app, &alice, &room, "again").await;
    let since = initial["next_batch"].as_str().unwrap();
    let (_, incremental) = app
        .request(Method::GET, &format!("/_matrix/client/v3/sync?filter={filter}&since={since}"), Some(&bob), None)
        .await;
    assert_eq!(member_keys(&incremental, &room), vec![alice_id], "the sender's member event comes along");
}
