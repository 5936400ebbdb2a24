//! Redaction, `/messages` pagination and `/context`.

use http::StatusCode;
use serde_json::json;

use super::{bodies, enc, get, ok, post, put, send, state_of};
use crate::support::{TestApp, assert_error};

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
    let redaction =
        ok(put(&app, &alice, &format!("/rooms/{room}/redact/{target}/r2"), json!({ "reason": "oops" })).await).await;
    let again =
        ok(put(&app, &alice, &format!("/rooms/{room}/redact/{target}/r2"), json!({ "reason": "oops" })).await).await;
    assert_eq!(redaction["event_id"], again["event_id"]);

    let event = ok(get(&app, &bob, &format!("/rooms/{room}/event/{target}")).await).await;
    assert_eq!(event["content"], json!({}));
    assert_eq!(event["unsigned"]["redacted_because"]["event_id"], redaction["event_id"]);
    let page = ok(get(&app, &bob, &format!("/rooms/{room}/messages?dir=b&limit=5")).await).await;
    let redacted =
        page["chunk"].as_array().unwrap().iter().find(|e| e["event_id"] == target.as_str()).expect("in timeline");
    assert_eq!(redacted["content"], json!({}));
    let redaction_id = redaction["event_id"].as_str().unwrap();
    let redaction_event = ok(get(&app, &bob, &format!("/rooms/{room}/event/{redaction_id}")).await).await;
    assert_eq!(redaction_event["content"]["redacts"], target.as_str());
    assert_eq!(redaction_event["content"]["reason"], "oops");
    let create_id =
        ok(get(&app, &alice, &format!("/rooms/{room}/state/m.room.create?format=event")).await).await["event_id"]
            .clone();
    let create_id = create_id.as_str().unwrap();
    assert_error(
        &put(&app, &alice, &format!("/rooms/{room}/redact/{create_id}/r3"), json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
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
    let filtered =
        ok(get(&app, &alice, &format!("/rooms/{room}/messages?dir=f&limit=100&filter={filter}")).await).await;
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
