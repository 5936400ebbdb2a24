//! The room admin API: the room list, details and members (read as an operator, past history
//! visibility, and audited), and deleting rooms: shutdown, purge and block.

use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use rempart_core::audit::{AuditEvent, AuditSink};
use serde_json::{Value, json};

use crate::support::{TestApp, admin_token, assert_error, encode, ok, send_text};

/// Admin actions as `actor action target` lines.
#[derive(Default)]
pub struct RecordedActions(pub Mutex<Vec<String>>);

impl AuditSink for RecordedActions {
    fn record(&self, event: &AuditEvent<'_>) {
        if let AuditEvent::AdminAction { actor, action, target } = event {
            self.0.lock().unwrap().push(format!("{actor} {action} {target}"));
        }
    }
}

fn room_path(version: &str, room_id: &str) -> String {
    format!("/_synapse/admin/{version}/rooms/{}", encode(room_id))
}

/// The ids of the rooms a user's initial sync lists as joined.
pub async fn joined_in_sync(app: &TestApp, token: &str) -> Vec<String> {
    let sync = ok(app, Method::GET, "/_matrix/client/v3/sync", token, None).await;
    sync["rooms"]["join"].as_object().map(|rooms| rooms.keys().cloned().collect()).unwrap_or_default()
}

#[tokio::test]
async fn non_admins_are_refused_everywhere() {
    let app = TestApp::new().await;
    admin_token(&app).await;
    let (_, alice) = app.register("alice").await;
    let room_id = app.create_room(&alice, json!({ "name": "mine" })).await;
    let room = encode(&room_id);
    let notice = json!({ "user_id": "@alice:localhost", "content": { "msgtype": "m.text", "body": "hi" } });
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/_synapse/admin/v1/rooms".into(), None),
        (Method::GET, format!("/_synapse/admin/v1/rooms/{room}"), None),
        (Method::GET, format!("/_synapse/admin/v1/rooms/{room}/members"), None),
        (Method::DELETE, format!("/_synapse/admin/v2/rooms/{room}"), Some(json!({}))),
        (Method::DELETE, format!("/_synapse/admin/v1/rooms/{room}"), Some(json!({}))),
        (Method::GET, "/_synapse/admin/v2/rooms/delete_status/abc".into(), None),
        (Method::GET, format!("/_synapse/admin/v2/rooms/{room}/delete_status"), None),
        (Method::POST, "/_synapse/admin/v1/send_server_notice".into(), Some(notice.clone())),
        (Method::PUT, "/_synapse/admin/v1/send_server_notice/t1".into(), Some(notice)),
    ];
    for (method, path, body) in calls {
        let refused = app.request(method.clone(), &path, Some(&alice), body.clone()).await;
        assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
        let anonymous = app.request(method.clone(), &path, None, body).await;
        assert_error(&anonymous, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    }
    assert_eq!(joined_in_sync(&app, &alice).await, [room_id], "nothing was deleted");
}

#[tokio::test]
async fn the_room_list_sorts_filters_and_pages() {
    let recorder = Arc::new(RecordedActions::default());
    let app = TestApp::with_audit(Arc::clone(&recorder) as Arc<dyn AuditSink>, |_| {}).await;
    let admin = admin_token(&app).await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let forum = app
        .create_room(&alice, json!({ "name": "Budget Forum", "preset": "public_chat", "room_alias_name": "budget" }))
        .await;
    let private = app.create_room(&bob, json!({ "name": "agents", "topic": "secret things" })).await;
    let unnamed = app.create_room(&bob, json!({})).await;
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{}", encode(&forum)), &bob, Some(json!({}))).await;

    let list = ok(&app, Method::GET, "/_synapse/admin/v1/rooms", &admin, None).await;
    assert_eq!((list["total_rooms"].as_u64(), list["offset"].as_u64()), (Some(3), Some(0)));
    assert!(list.get("next_batch").is_none() && list.get("prev_batch").is_none(), "{list}");
    let ids: Vec<&str> = list["rooms"].as_array().unwrap().iter().map(|r| r["room_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [private.as_str(), forum.as_str(), unnamed.as_str()], "by name, any case, unnamed last");
    let forum_entry = &list["rooms"][1];
    assert_eq!(forum_entry["name"], "Budget Forum");
    assert_eq!(forum_entry["canonical_alias"], "#budget:localhost");
    assert_eq!(
        (forum_entry["joined_members"].as_u64(), forum_entry["joined_local_members"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(forum_entry["creator"], "@alice:localhost");
    assert_eq!(forum_entry["version"], "12");
    assert_eq!(forum_entry["encryption"], Value::Null, "forums stay readable");
    assert_eq!(forum_entry["join_rules"], "public");
    assert_eq!(forum_entry["history_visibility"], "shared");
    assert_eq!(forum_entry["guest_access"], "forbidden");
    assert_eq!((forum_entry["federatable"].as_bool(), forum_entry["public"].as_bool()), (Some(true), Some(false)));
    assert_eq!(forum_entry["room_type"], Value::Null);
    assert!(forum_entry["state_events"].as_u64().unwrap() >= 7, "{forum_entry}");
    let private_entry = &list["rooms"][0];
    assert_eq!(private_entry["encryption"], "m.megolm.v1.aes-sha2");
    assert_eq!(private_entry["join_rules"], "invite");
    assert_eq!(private_entry["name"], "agents");
    assert_eq!(list["rooms"][2]["name"], Value::Null);

    let page = ok(&app, Method::GET, "/_synapse/admin/v1/rooms?order_by=joined_members&limit=1", &admin, None).await;
    assert_eq!(page["rooms"][0]["room_id"], forum.as_str(), "largest first");
    assert_eq!((page["next_batch"].as_u64(), page["total_rooms"].as_u64()), (Some(1), Some(3)));
    let page = ok(&app, Method::GET, "/_synapse/admin/v1/rooms?from=2&limit=1", &admin, None).await;
    assert_eq!(page["rooms"][0]["room_id"], unnamed.as_str());
    assert_eq!((page["offset"].as_u64(), page["prev_batch"].as_u64()), (Some(2), Some(1)));
    assert!(page.get("next_batch").is_none());
    let reversed = ok(&app, Method::GET, "/_synapse/admin/v1/rooms?dir=b", &admin, None).await;
    assert_eq!(reversed["rooms"][0]["room_id"], unnamed.as_str());

    let search = |term: &str| format!("/_synapse/admin/v1/rooms?search_term={}", encode(term));
    let found = ok(&app, Method::GET, search("budget"), &admin, None).await;
    assert_eq!((found["total_rooms"].as_u64(), found["rooms"][0]["room_id"].as_str()), (Some(1), Some(forum.as_str())));
    let found = ok(&app, Method::GET, search("AGENT"), &admin, None).await;
    assert_eq!(found["rooms"][0]["room_id"], private.as_str(), "names match in any case");
    let found = ok(&app, Method::GET, search(&unnamed), &admin, None).await;
    assert_eq!(found["rooms"][0]["room_id"], unnamed.as_str(), "room ids match");
    let found = ok(&app, Method::GET, search("nothing like it"), &admin, None).await;
    assert_eq!((found["total_rooms"].as_u64(), found["rooms"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let bad = app.request(Method::GET, "/_synapse/admin/v1/rooms?order_by=colour", Some(&admin), None).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let bad = app.request(Method::GET, "/_synapse/admin/v1/rooms?dir=sideways", Some(&admin), None).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let bad = app.request(Method::GET, "/_synapse/admin/v1/rooms?limit=-1", Some(&admin), None).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");

    let actions = recorder.0.lock().unwrap().clone();
    assert!(actions.contains(&"@root:localhost room.list *".to_owned()), "{actions:?}");
    assert!(actions.contains(&"@root:localhost room.list budget".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn details_and_members_are_read_as_an_operator_and_audited() {
    let recorder = Arc::new(RecordedActions::default());
    let app = TestApp::with_audit(Arc::clone(&recorder) as Arc<dyn AuditSink>, |_| {}).await;
    let admin = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let room_id = app
        .create_room(&alice, json!({ "name": "agents", "topic": "secret things", "invite": [bob_id.clone()] }))
        .await;
    let room = encode(&room_id);
    ok(&app, Method::POST, format!("/_matrix/client/v3/rooms/{room}/join"), &bob, Some(json!({}))).await;
    let avatar = json!({ "url": "mxc://localhost/abc" });
    ok(&app, Method::PUT, format!("/_matrix/client/v3/rooms/{room}/state/m.room.avatar/"), &alice, Some(avatar)).await;

    // The admin is in no room: these reads bypass membership and history visibility by design.
    let details = ok(&app, Method::GET, room_path("v1", &room_id), &admin, None).await;
    assert_eq!(details["room_id"], room_id.as_str());
    assert_eq!((details["name"].as_str(), details["topic"].as_str()), (Some("agents"), Some("secret things")));
    assert_eq!(details["avatar"], "mxc://localhost/abc");
    assert_eq!((details["joined_members"].as_u64(), details["joined_local_devices"].as_u64()), (Some(2), Some(2)));
    assert_eq!(details["encryption"], "m.megolm.v1.aes-sha2");
    assert_eq!(details["forgotten"], false);

    let members = ok(&app, Method::GET, format!("{}/members", room_path("v1", &room_id)), &admin, None).await;
    let mut listed: Vec<&str> = members["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    listed.sort_unstable();
    assert_eq!(listed, [alice_id.as_str(), bob_id.as_str()]);
    assert_eq!(members["total"], 2);

    let missing = "!nowhere:localhost";
    assert_error(
        &app.request(Method::GET, &room_path("v1", missing), Some(&admin), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    assert_error(
        &app.request(Method::GET, &format!("{}/members", room_path("v1", missing)), Some(&admin), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    assert_error(
        &app.request(Method::GET, "/_synapse/admin/v1/rooms/not-a-room-id", Some(&admin), None).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_PARAM",
    );

    let actions = recorder.0.lock().unwrap().clone();
    assert!(actions.contains(&format!("@root:localhost room.read {room_id}")), "{actions:?}");
    assert!(actions.contains(&format!("@root:localhost room.read_members {room_id}")), "{actions:?}");
}

#[tokio::test]
async fn deleting_a_room_removes_its_members_and_purges_it() {
    let recorder = Arc::new(RecordedActions::default());
    let app = TestApp::with_audit(Arc::clone(&recorder) as Arc<dyn AuditSink>, |_| {}).await;
    let admin = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (carol_id, carol) = app.register("carol").await;
    let room_id =
        app.create_room(&alice, json!({ "name": "Leaks", "preset": "public_chat", "room_alias_name": "leaks" })).await;
    let room = encode(&room_id);
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{room}"), &bob, Some(json!({}))).await;
    let invite = json!({ "user_id": carol_id });
    ok(&app, Method::POST, format!("/_matrix/client/v3/rooms/{room}/invite"), &alice, Some(invite)).await;
    let message = send_text(&app, &bob, &room_id, "the exported archive").await;
    let receipt = format!("/_matrix/client/v3/rooms/{room}/receipt/m.read/{}", encode(&message));
    ok(&app, Method::POST, receipt, &alice, Some(json!({}))).await;
    let keep = app.create_room(&alice, json!({ "name": "unrelated" })).await;

    let body = json!({ "message": "Closed by the operators" });
    let deleted = ok(&app, Method::DELETE, room_path("v2", &room_id), &admin, Some(body)).await;
    let delete_id = deleted["delete_id"].as_str().expect("delete_id").to_owned();

    let status =
        ok(&app, Method::GET, format!("/_synapse/admin/v2/rooms/delete_status/{delete_id}"), &admin, None).await;
    assert_eq!((status["status"].as_str(), status["room_id"].as_str()), (Some("complete"), Some(room_id.as_str())));
    let mut kicked: Vec<&str> =
        status["shutdown_room"]["kicked_users"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    kicked.sort_unstable();
    assert_eq!(kicked, [alice_id.as_str(), bob_id.as_str(), carol_id.as_str()], "joined and invited members");
    assert_eq!(status["shutdown_room"]["failed_to_kick_users"], json!([]));
    assert_eq!(status["shutdown_room"]["local_aliases"], json!(["#leaks:localhost"]));
    assert_eq!(status["shutdown_room"]["new_room_id"], Value::Null);
    assert!(status.get("error").is_none());
    let by_room = ok(&app, Method::GET, format!("{}/delete_status", room_path("v2", &room_id)), &admin, None).await;
    assert_eq!(by_room["results"][0]["delete_id"], delete_id.as_str());
    assert_error(
        &app.request(Method::GET, "/_synapse/admin/v2/rooms/delete_status/unknown", Some(&admin), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );

    // The room is gone: from the admin API, from every member's sync, from the database.
    assert_error(
        &app.request(Method::GET, &room_path("v1", &room_id), Some(&admin), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    assert_eq!(joined_in_sync(&app, &alice).await, std::slice::from_ref(&keep));
    assert!(joined_in_sync(&app, &bob).await.is_empty());
    let carol_sync = ok(&app, Method::GET, "/_matrix/client/v3/sync", &carol, None).await;
    assert_eq!(carol_sync["rooms"]["invite"], json!({}), "the invite is gone too");
    let list = ok(&app, Method::GET, "/_synapse/admin/v1/rooms", &admin, None).await;
    assert_eq!(list["total_rooms"], 1);
    let store = &app.services.store;
    let parsed: ruma::OwnedRoomId = room_id.as_str().try_into().unwrap();
    assert!(store.get_room(&parsed).unwrap().is_none());
    assert!(store.get_event(&ruma::OwnedEventId::try_from(message.as_str()).unwrap()).unwrap().is_none());
    assert!(store.current_state(&parsed).unwrap().is_empty());
    assert!(store.room_memberships(&parsed).unwrap().is_empty());
    assert!(store.receipts_since(&parsed, 0).unwrap().is_empty());
    let alias: ruma::OwnedRoomAliasId = "#leaks:localhost".try_into().unwrap();
    assert!(store.resolve_alias(&alias).unwrap().is_none());
    assert_error(
        &app.request(Method::GET, &format!("/_matrix/client/v3/rooms/{room}/messages?dir=b"), Some(&alice), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    // Not blocked: the id is merely unknown now.
    assert_error(
        &app.request(Method::POST, &format!("/_matrix/client/v3/join/{room}"), Some(&bob), Some(json!({}))).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    send_text(&app, &alice, &keep, "other rooms carry on").await;

    let actions = recorder.0.lock().unwrap().clone();
    assert!(actions.contains(&format!("@root:localhost room.shutdown {room_id}")), "{actions:?}");
    assert!(actions.contains(&format!("@root:localhost room.purge {room_id}")), "{actions:?}");
    assert!(!actions.iter().any(|a| a.contains("room.block")), "{actions:?}");
}

#[tokio::test]
async fn a_blocked_room_refuses_joins_invites_and_knocks() {
    let app = TestApp::new().await;
    let admin = admin_token(&app).await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let forum = app.create_room(&alice, json!({ "name": "forum", "preset": "public_chat" })).await;
    let room = encode(&forum);
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{room}"), &bob, Some(json!({}))).await;

    // Blocked but kept: the room stays for the record, with nobody in it.
    let body = json!({ "block": true, "purge": false });
    ok(&app, Method::DELETE, room_path("v2", &forum), &admin, Some(body)).await;
    let details = ok(&app, Method::GET, room_path("v1", &forum), &admin, None).await;
    assert_eq!((details["joined_members"].as_u64(), details["public"].as_bool()), (Some(0), Some(false)));
    assert!(joined_in_sync(&app, &bob).await.is_empty());
    for path in [format!("/_matrix/client/v3/join/{room}"), format!("/_matrix/client/v3/rooms/{room}/join")] {
        let refused = app.request(Method::POST, &path, Some(&bob), Some(json!({}))).await;
        assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    }
    let knock =
        app.request(Method::POST, &format!("/_matrix/client/v3/knock/{room}"), Some(&bob), Some(json!({}))).await;
    assert_error(&knock, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let own_join = format!("/_matrix/client/v3/rooms/{room}/state/m.room.member/{}", encode(&bob_id));
    let put = app.request(Method::PUT, &own_join, Some(&bob), Some(json!({ "membership": "join" }))).await;
    assert_error(&put, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let invite = json!({ "user_id": bob_id });
    let invited =
        app.request(Method::POST, &format!("/_matrix/client/v3/rooms/{room}/invite"), Some(&alice), Some(invite)).await;
    assert_error(&invited, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    // Blocked and purged: still refused, not merely unknown.
    let doomed = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    ok(&app, Method::DELETE, room_path("v2", &doomed), &admin, Some(json!({ "block": true }))).await;
    assert_error(
        &app.request(Method::GET, &room_path("v1", &doomed), Some(&admin), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    let refused = app
        .request(Method::POST, &format!("/_matrix/client/v3/join/{}", encode(&doomed)), Some(&bob), Some(json!({})))
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    // A room this shard never saw can be blocked ahead; without `block` it is unknown.
    let unknown = "!never-seen:localhost";
    let unknown_delete = app.request(Method::DELETE, &room_path("v2", unknown), Some(&admin), Some(json!({}))).await;
    assert_error(&unknown_delete, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let blocked = ok(&app, Method::DELETE, room_path("v2", unknown), &admin, Some(json!({ "block": true }))).await;
    assert!(blocked["delete_id"].is_string());
    let refused = app
        .request(Method::POST, &format!("/_matrix/client/v3/join/{}", encode(unknown)), Some(&bob), Some(json!({})))
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
}

#[tokio::test]
async fn the_first_version_of_delete_answers_with_the_outcome() {
    let app = TestApp::new().await;
    let admin = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let room_id = app.create_room(&alice, json!({ "room_alias_name": "old" })).await;
    let outcome = ok(&app, Method::DELETE, room_path("v1", &room_id), &admin, Some(json!({}))).await;
    assert_eq!(outcome["kicked_users"], json!([alice_id]));
    assert_eq!(outcome["local_aliases"], json!(["#old:localhost"]));
    assert_eq!(outcome["new_room_id"], Value::Null);
    assert!(joined_in_sync(&app, &alice).await.is_empty());

    let other = app.create_room(&alice, json!({})).await;
    let moved = json!({ "new_room_user_id": "@root:localhost" });
    let refused = app.request(Method::DELETE, &room_path("v2", &other), Some(&admin), Some(moved)).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let bad =
        app.request(Method::DELETE, &room_path("v2", &other), Some(&admin), Some(json!({ "purge": "yes" }))).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_eq!(joined_in_sync(&app, &alice).await, [other], "refused requests changed nothing");
}
