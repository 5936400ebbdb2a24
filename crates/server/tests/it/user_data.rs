//! Per-user data at the HTTP level: sync (initial, incremental, long-poll), filters, account
//! data and tags, typing, receipts, presence, profiles, devices, the user directory and push
//! rules.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, encode, send_text};

const V3: &str = "/_matrix/client/v3";

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.request(Method::GET, &format!("{V3}{path}"), Some(token), None).await
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::PUT, &format!("{V3}{path}"), Some(token), Some(body)).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("{V3}{path}"), Some(token), Some(body)).await
}

/// Runs a sync and asserts success.
async fn sync(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = get(app, &format!("/sync?{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "sync: {body}");
    body
}

async fn join(app: &TestApp, token: &str, room_id: &str) {
    let (status, body) = post(app, &format!("/join/{room_id}"), token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "join: {body}");
}

/// Bodies of the `m.room.message` events of a room's sync timeline.
fn timeline_bodies(sync: &Value, room_id: &str) -> Vec<String> {
    sync["rooms"]["join"][room_id]["timeline"]["events"]
        .as_array()
        .map(|events| events.iter().filter_map(|e| e["content"]["body"].as_str().map(ToOwned::to_owned)).collect())
        .unwrap_or_default()
}

fn events_of_type<'a>(events: &'a Value, kind: &str) -> Vec<&'a Value> {
    events.as_array().map(|events| events.iter().filter(|e| e["type"] == kind).collect()).unwrap_or_default()
}

#[tokio::test]
async fn sync_initial_incremental_and_long_poll_wake() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let room_id = app.create_room(&alice, json!({})).await;

    let initial = sync(&app, &alice, "").await;
    let timeline = &initial["rooms"]["join"][&room_id]["timeline"]["events"];
    assert!(!events_of_type(timeline, "m.room.create").is_empty(), "initial sync shows the room: {initial}");
    let since = initial["next_batch"].as_str().expect("next_batch").to_owned();

    send_text(&app, &alice, &room_id, "hello").await;
    let incremental = sync(&app, &alice, &format!("since={since}")).await;
    assert_eq!(timeline_bodies(&incremental, &room_id), ["hello"]);
    let since = incremental["next_batch"].as_str().expect("next_batch").to_owned();

    let nothing = sync(&app, &alice, &format!("since={since}")).await;
    assert!(nothing["rooms"]["join"].get(&room_id).is_none(), "no news: {nothing}");

    // A long-poll returns with the message sent while it waits.
    let long_poll = format!("since={since}&timeout=20000");
    let (woken, _) = tokio::join!(sync(&app, &alice, &long_poll), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        send_text(&app, &alice, &room_id, "wake up").await
    });
    assert_eq!(timeline_bodies(&woken, &room_id), ["wake up"]);
}

#[tokio::test]
async fn sync_rejects_bad_tokens_and_filters() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    assert_error(&get(&app, "/sync?since=garbage", &alice).await, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    assert_error(&get(&app, "/sync?filter=999", &alice).await, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let broken = encode("{\"room\": ");
    assert_error(
        &get(&app, &format!("/sync?filter={broken}"), &alice).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_PARAM",
    );
    let (status, _) = app.request(Method::GET, &format!("{V3}/sync"), None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn filters_stored_and_inline_with_limited_timeline() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;

    let (status, created) =
        post(&app, &format!("/user/{alice_id}/filter"), &alice, json!({ "room": { "timeline": { "limit": 2 } } }))
            .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let filter_id = created["filter_id"].as_str().expect("filter_id").to_owned();
    let (status, filter) = get(&app, &format!("/user/{alice_id}/filter/{filter_id}"), &alice).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(filter["room"]["timeline"]["limit"], 2);

    assert_error(
        &get(&app, &format!("/user/{alice_id}/filter/{filter_id}"), &bob).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    assert_error(
        &post(&app, &format!("/user/{alice_id}/filter"), &bob, json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    assert_error(
        &get(&app, &format!("/user/{alice_id}/filter/12345"), &alice).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    // Filter ids are per user: bob's id space does not reach alice's filters.
    assert_error(
        &get(&app, &format!("/user/{bob_id}/filter/{filter_id}"), &bob).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );

    let room_id = app.create_room(&alice, json!({})).await;
    for body in ["m1", "m2", "m3", "m4", "m5"] {
        send_text(&app, &alice, &room_id, body).await;
    }
    let synced = sync(&app, &alice, &format!("filter={filter_id}")).await;
    let timeline = &synced["rooms"]["join"][&room_id]["timeline"];
    assert_eq!(timeline_bodies(&synced, &room_id), ["m4", "m5"]);
    assert_eq!(timeline["limited"], true);
    let prev_batch = timeline["prev_batch"].as_str().expect("prev_batch");

    let (status, page) =
        get(&app, &format!("/rooms/{room_id}/messages?dir=b&limit=10&from={prev_batch}"), &alice).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let earlier: Vec<&str> =
        page["chunk"].as_array().expect("chunk").iter().filter_map(|e| e["content"]["body"].as_str()).collect();
    assert_eq!(earlier, ["m3", "m2", "m1"], "back-pagination continues where the timeline stopped");

    let inline = encode(&json!({ "room": { "timeline": { "limit": 1 } } }).to_string());
    let synced = sync(&app, &alice, &format!("filter={inline}")).await;
    assert_eq!(timeline_bodies(&synced, &room_id), ["m5"]);
}

#[tokio::test]
async fn account_data_and_tags() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room_id = app.create_room(&alice, json!({})).await;
    let global = format!("/user/{alice_id}/account_data/org.example.settings");
    let in_room = format!("/user/{alice_id}/rooms/{room_id}/account_data/org.example.room");

    assert_error(&get(&app, &global, &alice).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_eq!(put(&app, &global, &alice, json!({ "theme": "dark" })).await.0, StatusCode::OK);
    assert_eq!(get(&app, &global, &alice).await, (StatusCode::OK, json!({ "theme": "dark" })));
    assert_error(&get(&app, &global, &bob).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(&put(&app, &global, &bob, json!({})).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(&put(&app, &global, &alice, json!([1, 2])).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");

    let push_rules = format!("/user/{alice_id}/account_data/m.push_rules");
    assert_error(
        &put(&app, &push_rules, &alice, json!({ "global": {} })).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "M_BAD_JSON",
    );
    let fully_read = format!("/user/{alice_id}/rooms/{room_id}/account_data/m.fully_read");
    assert_error(
        &put(&app, &fully_read, &alice, json!({ "event_id": "$x" })).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "M_BAD_JSON",
    );

    assert_eq!(put(&app, &in_room, &alice, json!({ "pinned": true })).await.0, StatusCode::OK);
    assert_eq!(get(&app, &in_room, &alice).await, (StatusCode::OK, json!({ "pinned": true })));

    let tags = format!("/user/{alice_id}/rooms/{room_id}/tags");
    assert_eq!(get(&app, &tags, &alice).await, (StatusCode::OK, json!({ "tags": {} })));
    assert_eq!(put(&app, &format!("{tags}/m.favourite"), &alice, json!({ "order": 0.5 })).await.0, StatusCode::OK);
    assert_eq!(
        get(&app, &tags, &alice).await,
        (StatusCode::OK, json!({ "tags": { "m.favourite": { "order": 0.5 } } }))
    );
    assert_error(&get(&app, &tags, &bob).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    let synced = sync(&app, &alice, "").await;
    let global_events = &synced["account_data"]["events"];
    assert_eq!(events_of_type(global_events, "org.example.settings")[0]["content"], json!({ "theme": "dark" }));
    let room_events = &synced["rooms"]["join"][&room_id]["account_data"]["events"];
    assert_eq!(events_of_type(room_events, "org.example.room")[0]["content"], json!({ "pinned": true }));
    assert_eq!(events_of_type(room_events, "m.tag")[0]["content"]["tags"]["m.favourite"]["order"], 0.5);
    let since = synced["next_batch"].as_str().expect("next_batch").to_owned();

    let (status, _) = app.request(Method::DELETE, &format!("{V3}{tags}/m.favourite"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&app, &tags, &alice).await, (StatusCode::OK, json!({ "tags": {} })));
    let synced = sync(&app, &alice, &format!("since={since}")).await;
    let room_events = &synced["rooms"]["join"][&room_id]["account_data"]["events"];
    assert_eq!(
        events_of_type(room_events, "m.tag")[0]["content"],
        json!({ "tags": {} }),
        "tag removal is synced: {synced}"
    );
}

#[tokio::test]
async fn typing_notifications_reach_members() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, carol) = app.register("carol").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    let since = sync(&app, &bob, "").await["next_batch"].as_str().expect("next_batch").to_owned();

    let typing = format!("/rooms/{room_id}/typing/{alice_id}");
    assert_eq!(put(&app, &typing, &alice, json!({ "typing": true, "timeout": 30000 })).await.0, StatusCode::OK);
    let synced = sync(&app, &bob, &format!("since={since}")).await;
    let ephemeral = &synced["rooms"]["join"][&room_id]["ephemeral"]["events"];
    assert_eq!(events_of_type(ephemeral, "m.typing")[0]["content"]["user_ids"], json!([alice_id]), "{synced}");

    assert_error(
        &put(&app, &typing, &bob, json!({ "typing": true, "timeout": 1000 })).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    let carol_typing = format!("/rooms/{room_id}/typing/@carol:localhost");
    assert_error(
        &put(&app, &carol_typing, &carol, json!({ "typing": true, "timeout": 1000 })).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    let bob_typing = format!("/rooms/{room_id}/typing/{bob_id}");
    assert_error(&put(&app, &bob_typing, &bob, json!({ "typing": true })).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
}

/// Sync carries notification counts and the push rules; changed rules show at the next sync
/// (they are cached between syncs) and count the unread events again.
#[tokio::test]
async fn sync_reports_unread_counts_and_follows_rule_changes() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    let counts =
        |synced: &Value| synced["rooms"]["join"][&room_id]["unread_notifications"]["notification_count"].clone();
    send_text(&app, &alice, &room_id, "one").await;
    send_text(&app, &alice, &room_id, "two").await;
    let synced = sync(&app, &bob, "").await;
    assert_eq!(counts(&synced), json!(2), "{synced}");
    let since = synced["next_batch"].as_str().expect("next_batch").to_owned();

    for rule in [".m.rule.message", ".m.rule.room_one_to_one"] {
        let path = format!("/pushrules/global/underride/{rule}/actions");
        assert_eq!(put(&app, &path, &bob, json!({ "actions": [] })).await.0, StatusCode::OK);
    }
    send_text(&app, &alice, &room_id, "three").await;
    let synced = sync(&app, &bob, &format!("since={since}")).await;
    assert_eq!(counts(&synced), json!(0), "every unread message is muted now: {synced}");
    let rules = events_of_type(&synced["account_data"]["events"], "m.push_rules");
    let underride = rules[0]["content"]["global"]["underride"].as_array().expect("underride rules");
    let message = underride.iter().find(|r| r["rule_id"] == ".m.rule.message").expect("message rule");
    assert_eq!(message["actions"], json!([]), "the changed rules are synced: {synced}");
}

/// A caught-up long-poll waits without building responses, so the expiry of a typing notice
/// must itself count as a change that ends the wait.
#[tokio::test]
async fn a_typing_expiry_ends_a_caught_up_long_poll() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    let typing = format!("/rooms/{room_id}/typing/{alice_id}");
    assert_eq!(put(&app, &typing, &alice, json!({ "typing": true, "timeout": 200 })).await.0, StatusCode::OK);
    let synced = sync(&app, &bob, "").await;
    let since = synced["next_batch"].as_str().expect("next_batch").to_owned();

    let query = format!("since={since}&timeout=20000");
    let long_poll = sync(&app, &bob, &query);
    let synced = tokio::time::timeout(std::time::Duration::from_secs(15), long_poll)
        .await
        .expect("the expiry ended the long-poll");
    let ephemeral = &synced["rooms"]["join"][&room_id]["ephemeral"]["events"];
    assert_eq!(events_of_type(ephemeral, "m.typing")[0]["content"]["user_ids"], json!([]), "{synced}");
}

#[tokio::test]
async fn receipts_and_read_markers() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, carol) = app.register("carol").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    let first = send_text(&app, &alice, &room_id, "first").await;
    let second = send_text(&app, &alice, &room_id, "second").await;
    let since = sync(&app, &alice, "").await["next_batch"].as_str().expect("next_batch").to_owned();

    let receipt = |kind: &str, event: &str| format!("/rooms/{room_id}/receipt/{kind}/{event}");
    assert_eq!(post(&app, &receipt("m.read.private", &first), &bob, json!({})).await.0, StatusCode::OK);
    let alice_view = sync(&app, &alice, &format!("since={since}")).await;
    let receipts = events_of_type(&alice_view["rooms"]["join"][&room_id]["ephemeral"]["events"], "m.receipt");
    assert!(
        receipts.iter().all(|r| r["content"][&first].get("m.read.private").is_none()),
        "private receipts stay private: {alice_view}"
    );
    let bob_view = sync(&app, &bob, "").await;
    let receipts = events_of_type(&bob_view["rooms"]["join"][&room_id]["ephemeral"]["events"], "m.receipt");
    assert!(receipts.iter().any(|r| r["content"][&first]["m.read.private"].get(&bob_id).is_some()), "{bob_view}");

    assert_eq!(post(&app, &receipt("m.read", &second), &bob, json!({})).await.0, StatusCode::OK);
    let alice_view = sync(&app, &alice, &format!("since={since}")).await;
    let receipts = events_of_type(&alice_view["rooms"]["join"][&room_id]["ephemeral"]["events"], "m.receipt");
    assert!(receipts.iter().any(|r| r["content"][&second]["m.read"].get(&bob_id).is_some()), "{alice_view}");

    assert_error(
        &post(&app, &receipt("m.read", "$unknown:localhost"), &bob, json!({})).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    assert_error(
        &post(&app, &receipt("m.read", &first), &carol, json!({})).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    assert_error(
        &post(&app, &receipt("m.bogus", &first), &bob, json!({})).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_PARAM",
    );
    let threaded = post(&app, &receipt("m.read", &first), &bob, json!({ "thread_id": "not-a-thread" })).await;
    assert_error(&threaded, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");

    let (status, _) =
        post(&app, &format!("/rooms/{room_id}/read_markers"), &bob, json!({ "m.fully_read": second })).await;
    assert_eq!(status, StatusCode::OK);
    let marker = get(&app, &format!("/user/{bob_id}/rooms/{room_id}/account_data/m.fully_read"), &bob).await;
    assert_eq!(marker, (StatusCode::OK, json!({ "event_id": second })));
    // The marker only moves forwards.
    assert_eq!(post(&app, &receipt("m.fully_read", &first), &bob, json!({})).await.0, StatusCode::OK);
    let marker = get(&app, &format!("/user/{bob_id}/rooms/{room_id}/account_data/m.fully_read"), &bob).await;
    assert_eq!(marker.1["event_id"], second);
}

#[tokio::test]
async fn presence_is_shared_with_room_members_only() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let status_path = format!("/presence/{alice_id}/status");

    let (status, _) =
        put(&app, &status_path, &alice, json!({ "presence": "unavailable", "status_msg": "lunch" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, own) = get(&app, &status_path, &alice).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((own["presence"].as_str(), own["status_msg"].as_str()), (Some("unavailable"), Some("lunch")));

    assert_error(&get(&app, &status_path, &bob).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(
        &put(&app, &status_path, &bob, json!({ "presence": "online" })).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    let (status, seen) = get(&app, &status_path, &bob).await;
    assert_eq!((status, seen["presence"].as_str()), (StatusCode::OK, Some("unavailable")));

    // Syncing marks bob online unless he asks not to be.
    sync(&app, &bob, "set_presence=offline").await;
    let bob_status = format!("/presence/{bob_id}/status");
    assert_eq!(get(&app, &bob_status, &alice).await.1["presence"], "offline");
    sync(&app, &bob, "").await;
    assert_eq!(get(&app, &bob_status, &alice).await.1["presence"], "online");
    let synced = sync(&app, &alice, "").await;
    let presence = events_of_type(&synced["presence"]["events"], "m.presence");
    assert!(presence.iter().any(|p| p["sender"] == bob_id && p["content"]["presence"] == "online"), "{synced}");

    let disabled = TestApp::with_config(|c| c.presence.enabled = false).await;
    let (carol_id, carol) = disabled.register("carol").await;
    let carol_status = format!("/presence/{carol_id}/status");
    assert_eq!(put(&disabled, &carol_status, &carol, json!({ "presence": "online" })).await.0, StatusCode::OK);
    assert_eq!(get(&disabled, &carol_status, &carol).await.1["presence"], "offline");
}

#[tokio::test]
async fn profile_changes_reach_rooms() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    let since = sync(&app, &bob, "").await["next_batch"].as_str().expect("next_batch").to_owned();

    let displayname = format!("/profile/{alice_id}/displayname");
    assert_eq!(put(&app, &displayname, &alice, json!({ "displayname": "Alice A." })).await.0, StatusCode::OK);
    assert_eq!(get(&app, &displayname, &bob).await, (StatusCode::OK, json!({ "displayname": "Alice A." })));
    let avatar = format!("/profile/{alice_id}/avatar_url");
    assert_eq!(put(&app, &avatar, &alice, json!({ "avatar_url": "mxc://localhost/abc" })).await.0, StatusCode::OK);
    assert_error(
        &put(&app, &avatar, &alice, json!({ "avatar_url": "https://example.org/a.png" })).await,
        StatusCode::BAD_REQUEST,
        "M_BAD_JSON",
    );
    let (status, profile) = get(&app, &format!("/profile/{alice_id}"), &bob).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile, json!({ "displayname": "Alice A.", "avatar_url": "mxc://localhost/abc" }));

    let synced = sync(&app, &bob, &format!("since={since}")).await;
    let members = events_of_type(&synced["rooms"]["join"][&room_id]["timeline"]["events"], "m.room.member");
    assert!(
        members.iter().any(|m| m["state_key"] == alice_id && m["content"]["displayname"] == "Alice A."),
        "{synced}"
    );

    assert_error(
        &put(&app, &displayname, &bob, json!({ "displayname": "Mallory" })).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );
    let (status, anonymous) = app.request(Method::GET, &format!("{V3}{displayname}"), None, None).await;
    assert_eq!((status, anonymous["errcode"].as_str()), (StatusCode::UNAUTHORIZED, Some("M_MISSING_TOKEN")));
    // An id that names no account is answered like a stranger (see tests/it/privacy.rs).
    assert_error(&get(&app, "/profile/@nobody:localhost", &bob).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(
        &put(&app, &format!("/profile/{alice_id}/m.tz"), &alice, json!({ "m.tz": "Europe/Paris" })).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );

    let (status, _) = app.request(Method::DELETE, &format!("{V3}{displayname}"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&app, &displayname, &bob).await, (StatusCode::OK, json!({})));
}

#[tokio::test]
async fn devices_are_managed_with_user_interactive_auth() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let login = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": "password-alice" });
    let (status, second) = app.request(Method::POST, &format!("{V3}/login"), None, Some(login)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (second_device, second_token) =
        (second["device_id"].as_str().expect("device_id"), second["access_token"].as_str().expect("token"));

    let (status, devices) = get(&app, "/devices", &alice).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devices["devices"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        put(&app, &format!("/devices/{second_device}"), &alice, json!({ "display_name": "Phone" })).await.0,
        StatusCode::OK
    );
    let (status, device) = get(&app, &format!("/devices/{second_device}"), &alice).await;
    assert_eq!((status, device["display_name"].as_str()), (StatusCode::OK, Some("Phone")));
    assert_error(&get(&app, "/devices/NOSUCHDEVICE", &alice).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(
        &put(&app, "/devices/NOSUCHDEVICE", &alice, json!({ "display_name": "x" })).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );

    let delete = format!("{V3}/devices/{second_device}");
    let (status, challenge) = app.request(Method::DELETE, &delete, Some(&alice), Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{challenge}");
    assert_eq!(challenge["flows"][0]["stages"][0], "m.login.password");
    let session = challenge["session"].as_str().expect("session");
    let auth = |password: &str| json!({ "auth": { "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": password, "session": session } });
    let (status, refused) = app.request(Method::DELETE, &delete, Some(&alice), Some(auth("wrong"))).await;
    assert_eq!((status, refused["errcode"].as_str()), (StatusCode::UNAUTHORIZED, Some("M_FORBIDDEN")));
    let (status, body) = app.request(Method::DELETE, &delete, Some(&alice), Some(auth("password-alice"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let whoami = app.request(Method::GET, &format!("{V3}/account/whoami"), Some(second_token), None).await;
    assert_error(&whoami, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    assert_error(
        &app.request(Method::DELETE, &format!("{V3}/devices/NOSUCHDEVICE"), Some(&alice), None).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );

    let (status, challenge) = post(&app, "/delete_devices", &alice, json!({ "devices": ["NOSUCHDEVICE"] })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{challenge}");
}

#[tokio::test]
async fn user_directory_only_finds_reachable_users() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (carol_id, carol) = app.register("carol").await;
    let (_, _dave) = app.register("dave").await;

    let private = app.create_room(&alice, json!({ "invite": [bob_id] })).await;
    join(&app, &bob, &private).await;
    let public = app.create_room(&carol, json!({ "preset": "public_chat" })).await;
    assert!(!public.is_empty());
    assert_eq!(
        put(&app, &format!("/profile/{bob_id}/displayname"), &bob, json!({ "displayname": "Bobby Tables" })).await.0,
        StatusCode::OK
    );

    let search = |term: &str, limit: u64| json!({ "search_term": term, "limit": limit });
    let ids = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .map(|r| r.iter().filter_map(|u| u["user_id"].as_str().map(ToOwned::to_owned)).collect())
            .unwrap_or_default()
    };
    let (status, found) = post(&app, "/user_directory/search", &alice, search("TABLES", 10)).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(ids(&found), std::slice::from_ref(&bob_id));
    assert_eq!(found["results"][0]["display_name"], "Bobby Tables");
    assert_eq!(ids(&post(&app, "/user_directory/search", &alice, search("carol", 10)).await.1), [carol_id]);
    let dave = post(&app, "/user_directory/search", &alice, search("dave", 10)).await.1;
    assert!(ids(&dave).is_empty(), "a user sharing no room and in no public room is not found: {dave}");

    let (_, limited) = post(&app, "/user_directory/search", &alice, search("localhost", 1)).await;
    assert_eq!((ids(&limited).len(), &limited["limited"]), (1, &json!(true)));
}

#[tokio::test]
async fn push_rules_can_be_read_changed_and_enabled() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (status, all) = get(&app, "/pushrules/", &alice).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["global"]["override"][0]["rule_id"], ".m.rule.master");
    assert!(
        all["global"]["underride"].as_array().expect("underride").iter().any(|r| r["rule_id"] == ".m.rule.message")
    );

    let rule = "/pushrules/global/content/cake";
    assert_eq!(put(&app, rule, &alice, json!({ "pattern": "cake", "actions": ["notify"] })).await.0, StatusCode::OK);
    let (status, stored) = get(&app, rule, &alice).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (stored["pattern"].as_str(), stored["enabled"].as_bool(), stored["default"].as_bool()),
        (Some("cake"), Some(true), Some(false))
    );
    let before_missing =
        put(&app, "/pushrules/global/content/pie?before=nope", &alice, json!({ "pattern": "pie", "actions": [] }))
            .await;
    assert_error(&before_missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(
        &put(&app, "/pushrules/global/content/.m.mine", &alice, json!({ "pattern": "x", "actions": [] })).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_PARAM",
    );

    let master = "/pushrules/global/override/.m.rule.master";
    assert_eq!(get(&app, &format!("{master}/enabled"), &alice).await.1, json!({ "enabled": false }));
    assert_eq!(put(&app, &format!("{master}/enabled"), &alice, json!({ "enabled": true })).await.0, StatusCode::OK);
    assert_eq!(get(&app, &format!("{master}/enabled"), &alice).await.1, json!({ "enabled": true }));
    let message = "/pushrules/global/underride/.m.rule.message/actions";
    assert_eq!(put(&app, message, &alice, json!({ "actions": [] })).await.0, StatusCode::OK);
    assert_eq!(get(&app, message, &alice).await.1, json!({ "actions": [] }));
    let (_, all) = get(&app, "/pushrules/", &alice).await;
    assert_eq!(all["global"]["override"][0]["enabled"], true, "changes show in the whole ruleset");

    assert_error(
        &app.request(Method::DELETE, &format!("{V3}{master}"), Some(&alice), None).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_PARAM",
    );
    assert_eq!(app.request(Method::DELETE, &format!("{V3}{rule}"), Some(&alice), None).await.0, StatusCode::OK);
    assert_error(&get(&app, rule, &alice).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(
        &get(&app, "/pushrules/global/underride/.m.rule.nope", &alice).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    assert_error(&get(&app, "/pushrules/global/bogus/x", &alice).await, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn unread_counts_follow_push_rules_and_receipts() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room_id).await;
    send_text(&app, &alice, &room_id, "plain").await;
    let txn = format!("/rooms/{room_id}/send/m.room.message/mention");
    let mention = json!({ "msgtype": "m.text", "body": "hey bob", "m.mentions": { "user_ids": [bob_id] } });
    let (status, sent) = put(&app, &txn, &alice, mention).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    send_text(&app, &bob, &room_id, "own messages never count").await;

    let bob_uid = ruma::OwnedUserId::try_from(bob_id.as_str()).expect("user id");
    let room = ruma::OwnedRoomId::try_from(room_id.as_str()).expect("room id");
    let counts = || rempart_core::push::unread_counts(&app.services, &bob_uid, &room).expect("counts");
    assert_eq!(counts(), (2, 1));
    // Counted incrementally from here: only the new message is added.
    send_text(&app, &alice, &room_id, "one more").await;
    assert_eq!(counts(), (3, 1));
    // New rules count everything again: muting plain messages leaves only the mention.
    for rule in [".m.rule.message", ".m.rule.room_one_to_one"] {
        let path = format!("/pushrules/global/underride/{rule}/actions");
        let (status, body) = put(&app, &path, &bob, json!({ "actions": [] })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(counts(), (1, 1));

    let last = sent["event_id"].as_str().expect("event_id");
    assert_eq!(post(&app, &format!("/rooms/{room_id}/receipt/m.read/{last}"), &bob, json!({})).await.0, StatusCode::OK);
    assert_eq!(counts(), (0, 0), "\"one more\" is muted now");
}
