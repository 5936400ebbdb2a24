//! Members lists, joining, inviting, kicking, banning, knocking, leaving, and what a suspended
//! account may still do.

use http::StatusCode;
use serde_json::{Value, json};

use super::{enc, get, ok, post, put, send};
use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn members_filters_and_membership_changes() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (carol_id, carol) = app.register("carol").await;
    let room = app.create_room(&alice, json!({ "preset": "private_chat" })).await;
    assert_error(
        &post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
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
    assert_eq!(members("?not_membership=join").await, vec![carol_id.clone()]);
    assert_eq!(get(&app, &alice, &format!("/rooms/{room}/members?membership=bogus")).await.0, StatusCode::BAD_REQUEST);
    let joined = ok(get(&app, &alice, &format!("/rooms/{room}/joined_members")).await).await;
    assert_eq!(joined["joined"][bob_id.as_str()]["display_name"], "bob");
    assert!(joined["joined"].get(carol_id.as_str()).is_none());

    // Bob (power 0) cannot kick or ban; Alice can.
    let kick = post(&app, &bob, &format!("/rooms/{room}/kick"), json!({ "user_id": alice_id })).await;
    assert_error(&kick, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(post(&app, &alice, &format!("/rooms/{room}/kick"), json!({ "user_id": bob_id, "reason": "bye" })).await).await;
    assert_error(
        &post(&app, &bob, &format!("/rooms/{room}/join"), json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    ok(post(&app, &alice, &format!("/rooms/{room}/ban"), json!({ "user_id": carol_id })).await).await;
    assert_error(
        &post(&app, &carol, &format!("/rooms/{room}/join"), json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    ok(post(&app, &alice, &format!("/rooms/{room}/unban"), json!({ "user_id": carol_id })).await).await;
    assert_eq!(members("?membership=leave").await, [bob_id.clone(), carol_id.clone()]);

    // Leaving and forgetting.
    assert_eq!(post(&app, &alice, &format!("/rooms/{room}/forget"), json!({})).await.0, StatusCode::BAD_REQUEST);
    ok(post(&app, &bob, &format!("/rooms/{room}/forget"), json!({})).await).await;
    ok(post(&app, &alice, &format!("/rooms/{room}/leave"), json!({})).await).await;
    assert_eq!(ok(get(&app, &alice, "/joined_rooms").await).await["joined_rooms"], json!([]));

    // Knocking needs a knock join rule.
    let knockable = app
        .create_room(
            &carol,
            json!({ "initial_state": [{ "type": "m.room.join_rules", "content": { "join_rule": "knock" } }] }),
        )
        .await;
    ok(post(&app, &bob, &format!("/knock/{}", enc(&knockable)), json!({ "reason": "let me in" })).await).await;
    let state = ok(get(&app, &carol, &format!("/rooms/{knockable}/state/m.room.member/{bob_id}")).await).await;
    assert_eq!(state["membership"], "knock");
    let public = app.create_room(&carol, json!({ "preset": "public_chat" })).await;
    assert_error(
        &post(&app, &bob, &format!("/knock/{}", enc(&public)), json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    let unknown = post(&app, &bob, "/join/%23nowhere:localhost", json!({})).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let remote = post(&app, &bob, "/join/%23room:elsewhere.example", json!({})).await;
    assert_error(&remote, StatusCode::NOT_FOUND, "M_NOT_FOUND");
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
    app.services.store.set_account_flag(&user, rempart_storage::AccountFlag::Suspended, true).unwrap();

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
