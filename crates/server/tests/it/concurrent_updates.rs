//! Concurrent changes to one account data document (push rules, tags) all survive, and
//! concurrent room creations never collide.

use std::sync::Arc;

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_push_rule_and_tag_changes_are_all_kept() {
    let app = Arc::new(TestApp::new().await);
    let (alice_id, alice) = app.register("alice").await;
    let room = app.create_room(&alice, json!({})).await;
    let mut tasks = vec![];
    for n in 0..12 {
        let (app, alice, alice_id, room) = (app.clone(), alice.clone(), alice_id.clone(), room.clone());
        tasks.push(tokio::spawn(async move {
            let rule = json!({ "actions": [], "conditions": [{ "kind": "event_match", "key": "type", "pattern": format!("t{n}") }] });
            let (status, body) = app
                .request(Method::PUT, &format!("/_matrix/client/v3/pushrules/global/override/rule{n}"), Some(&alice), Some(rule))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let tag = format!("/_matrix/client/v3/user/{alice_id}/rooms/{room}/tags/u.tag{n}");
            let (status, body) = app.request(Method::PUT, &tag, Some(&alice), Some(json!({ "order": 0.5 }))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (_, rules) = app.request(Method::GET, "/_matrix/client/v3/pushrules/", Some(&alice), None).await;
    let ids: Vec<&str> =
        rules["global"]["override"].as_array().unwrap().iter().filter_map(|r| r["rule_id"].as_str()).collect();
    for n in 0..12 {
        assert!(ids.contains(&format!("rule{n}").as_str()), "rule{n} was lost: {ids:?}");
    }
    let (_, tags) = app
        .request(Method::GET, &format!("/_matrix/client/v3/user/{alice_id}/rooms/{room}/tags"), Some(&alice), None)
        .await;
    assert_eq!(tags["tags"].as_object().unwrap().len(), 12, "{tags}");
}

/// From room version 12 the room id is the create event's hash: identical creations in the same
/// millisecond must still make distinct rooms (they once collided with a 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_room_creations_make_distinct_rooms() {
    let app = Arc::new(TestApp::new().await);
    let (_, alice) = app.register("alice").await;
    let creations: Vec<_> = (0..40)
        .map(|_| {
            let (app, alice) = (Arc::clone(&app), alice.clone());
            tokio::spawn(async move {
                let body = json!({ "preset": "public_chat" });
                app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(body)).await
            })
        })
        .collect();
    let mut room_ids = std::collections::BTreeSet::new();
    for creation in creations {
        let (status, body) = creation.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
        room_ids.insert(body["room_id"].as_str().expect("room_id").to_owned());
    }
    assert_eq!(room_ids.len(), 40);
}
