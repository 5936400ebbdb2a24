//! Room aliases and the public room directory.

use http::{Method, StatusCode};
use serde_json::json;

use super::{V3, get, ok, post, put};
use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn aliases_create_resolve_and_delete() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    let alias = "/directory/room/%23team:localhost";
    ok(put(&app, &alice, alias, json!({ "room_id": room })).await).await;
    let resolved = app.request(Method::GET, &format!("{V3}{alias}"), Some(&bob), None).await;
    assert_eq!(ok(resolved).await, json!({ "room_id": room, "servers": ["localhost"] }));
    // Clients (matrix-rust-sdk) resolve aliases without a token.
    let anonymous = app.request(Method::GET, &format!("{V3}{alias}"), None, None).await;
    assert_eq!(anonymous.0, StatusCode::OK);
    assert_error(&put(&app, &alice, alias, json!({ "room_id": room })).await, StatusCode::CONFLICT, "M_UNKNOWN");
    let outsider = put(&app, &bob, "/directory/room/%23bobs:localhost", json!({ "room_id": room })).await;
    assert_error(&outsider, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let remote = put(&app, &alice, "/directory/room/%23x:elsewhere.example", json!({ "room_id": room })).await;
    assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let nowhere = put(&app, &alice, "/directory/room/%23y:localhost", json!({ "room_id": "!missing:localhost" })).await;
    assert_error(&nowhere, StatusCode::NOT_FOUND, "M_NOT_FOUND");

    assert_eq!(
        ok(get(&app, &alice, &format!("/rooms/{room}/aliases")).await).await["aliases"],
        json!(["#team:localhost"])
    );
    assert_error(&get(&app, &bob, &format!("/rooms/{room}/aliases")).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    ok(put(
        &app,
        &alice,
        &format!("/rooms/{room}/state/m.room.canonical_alias"),
        json!({ "alias": "#team:localhost" }),
    )
    .await)
    .await;

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
    let forum = app
        .create_room(
            &alice,
            json!({ "visibility": "public", "preset": "public_chat", "name": "Forum", "topic": "Everything" }),
        )
        .await;
    let news =
        app.create_room(&alice, json!({ "visibility": "public", "preset": "public_chat", "name": "News" })).await;
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
    let searched =
        ok(post(&app, &bob, "/publicRooms", json!({ "filter": { "generic_search_term": "everyTHING" } })).await).await;
    assert_eq!(searched["chunk"].as_array().unwrap().len(), 1);
    assert_eq!(searched["chunk"][0]["room_id"], forum.as_str());

    let visibility = format!("/directory/list/room/{forum}");
    assert_eq!(ok(get(&app, &bob, &visibility).await).await["visibility"], "public");
    assert_error(
        &put(&app, &bob, &visibility, json!({ "visibility": "private" })).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    ok(put(&app, &alice, &visibility, json!({ "visibility": "private" })).await).await;
    assert_eq!(ok(get(&app, &bob, &visibility).await).await["visibility"], "private");
    assert_eq!(ok(get(&app, &bob, "/publicRooms").await).await["total_room_count_estimate"], 1);
    let missing = get(&app, &bob, "/directory/list/room/!missing:localhost").await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
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
