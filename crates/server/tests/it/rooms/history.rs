//! History visibility as a member who joins late, and leaves, sees it.

use http::StatusCode;
use serde_json::json;

use super::{bodies, get, ok, post, send};
use crate::support::TestApp;

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
    let mut after_leaving =
        bodies(&ok(get(&app, &bob, &format!("/rooms/{room}/messages?dir=b&limit=50")).await).await["chunk"]);
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
    // Bob joined after the early messages, so he keeps them after leaving (spec: "joined at
    // any point after the event"), but nothing sent after he left.
    assert_eq!(left, ["before-invite", "after-invite", "after-join"]);
    assert_eq!(stranger, StatusCode::FORBIDDEN);
    let (seen, left, stranger) = history_as_seen("world_readable").await;
    assert_eq!(seen, ["before-invite", "after-invite", "after-join"]);
    assert_eq!(left, ["before-invite", "after-invite", "after-join", "after-leave"]);
    assert_eq!(stranger, StatusCode::OK);
}
