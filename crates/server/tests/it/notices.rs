//! Server notices: the admin endpoint, the notices room (tagged, unencrypted, read-only for the
//! user, joined by the server), and new-login notices naming the device, IP and time.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, admin_token, assert_error, encode, login, ok, send_text};

const NOTICE_PATH: &str = "/_synapse/admin/v1/send_server_notice";

/// A sync with room timelines long enough to hold a whole notices room.
async fn sync(app: &TestApp, token: &str) -> Value {
    let filter = encode(&json!({ "room": { "timeline": { "limit": 50 } } }).to_string());
    ok(app, Method::GET, format!("/_matrix/client/v3/sync?filter={filter}"), token, None).await
}

/// The joined rooms of a sync tagged `m.server_notice`, with their sections.
fn notice_rooms(sync: &Value) -> Vec<(String, Value)> {
    let Some(rooms) = sync["rooms"]["join"].as_object() else { return vec![] };
    rooms
        .iter()
        .filter(|(_, room)| {
            room["account_data"]["events"].as_array().is_some_and(|events| {
                events.iter().any(|e| e["type"] == "m.tag" && e["content"]["tags"].get("m.server_notice").is_some())
            })
        })
        .map(|(id, room)| (id.clone(), room.clone()))
        .collect()
}

/// The notice messages of a room's timeline.
fn notices_in(room: &Value) -> Vec<Value> {
    room["timeline"]["events"]
        .as_array()
        .map(|events| events.iter().filter(|e| e["type"] == "m.room.message").map(|e| e["content"].clone()).collect())
        .unwrap_or_default()
}

/// Logs in from an IP address (as the listener would see it), with a device id or without.
async fn login_from(app: &TestApp, user: &str, device_id: Option<&str>, ip: &str) -> Value {
    let mut body = json!({
        "type": "m.login.password",
        "identifier": { "type": "m.id.user", "user": user },
        "password": format!("password-{user}"),
        "initial_device_display_name": "Element",
    });
    if let Some(device_id) = device_id {
        body["device_id"] = device_id.into();
    }
    let peer: SocketAddr = format!("{ip}:50000").parse().expect("address");
    let request = Request::builder()
        .method(Method::POST)
        .uri("/_matrix/client/v3/login")
        .header("content-type", "application/json")
        .extension(ConnectInfo(peer))
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(status, StatusCode::OK, "login: {body}");
    body
}

#[tokio::test]
async fn a_server_notice_reaches_the_users_timeline() {
    let app = TestApp::new().await;
    let admin = admin_token(&app).await;
    let (bob_id, bob) = app.register("bob").await;
    let notice =
        json!({ "user_id": bob_id, "content": { "msgtype": "m.text", "body": "Maintenance tonight at 22:00" } });
    let sent = ok(&app, Method::POST, NOTICE_PATH, &admin, Some(notice)).await;
    let event_id = sent["event_id"].as_str().expect("event_id").to_owned();

    let first = sync(&app, &bob).await;
    let rooms = notice_rooms(&first);
    assert_eq!(rooms.len(), 1, "one tagged notices room, joined without any action: {first}");
    let (room_id, room) = &rooms[0];
    let message = room["timeline"]["events"].as_array().unwrap().iter().find(|e| e["event_id"] == event_id.as_str());
    let message = message.expect("the notice is in the timeline");
    assert_eq!(message["sender"], "@server:localhost");
    assert_eq!(message["content"]["body"], "Maintenance tonight at 22:00");
    let state: Vec<&Value> = room["state"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(room["timeline"]["events"].as_array().unwrap())
        .collect();
    assert!(state.iter().all(|e| e["type"] != "m.room.encryption"), "the server writes notices in clear");
    assert!(state.iter().any(|e| e["type"] == "m.room.name" && e["content"]["name"] == "Server Notices"));

    // Read-only for the user, who cannot invite anyone either.
    let refused = app
        .request(
            Method::PUT,
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.message/t1", encode(room_id)),
            Some(&bob),
            Some(json!({ "msgtype": "m.text", "body": "reply" })),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let (carol_id, _) = app.register("carol").await;
    let invite = app
        .request(
            Method::POST,
            &format!("/_matrix/client/v3/rooms/{}/invite", encode(room_id)),
            Some(&bob),
            Some(json!({ "user_id": carol_id })),
        )
        .await;
    assert_error(&invite, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    // Later notices go to the same room; msgtype defaults to m.server_notice.
    let since = first["next_batch"].as_str().unwrap().to_owned();
    let second = json!({ "user_id": bob_id, "content": { "body": "Done" } });
    ok(&app, Method::POST, NOTICE_PATH, &admin, Some(second)).await;
    let later = ok(&app, Method::GET, format!("/_matrix/client/v3/sync?since={since}"), &bob, None).await;
    let timeline = &later["rooms"]["join"][room_id.as_str()]["timeline"]["events"];
    assert_eq!(timeline[0]["content"], json!({ "msgtype": "m.server_notice", "body": "Done" }), "{later}");
    assert_eq!(later["rooms"]["join"].as_object().unwrap().len(), 1, "no second room");

    // The notices account cannot log in.
    assert_error(&login(&app, "server", "server").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
}

#[tokio::test]
async fn notices_are_idempotent_per_transaction_and_checked() {
    let app = TestApp::new().await;
    let admin = admin_token(&app).await;
    let (bob_id, bob) = app.register("bob").await;
    let notice = json!({ "user_id": bob_id, "content": { "msgtype": "m.text", "body": "once" } });
    let first = ok(&app, Method::PUT, format!("{NOTICE_PATH}/txn1"), &admin, Some(notice.clone())).await;
    let again = ok(&app, Method::PUT, format!("{NOTICE_PATH}/txn1"), &admin, Some(notice.clone())).await;
    assert_eq!(first["event_id"], again["event_id"]);
    let other = ok(&app, Method::PUT, format!("{NOTICE_PATH}/txn2"), &admin, Some(notice)).await;
    assert_ne!(first["event_id"], other["event_id"]);
    let rooms = notice_rooms(&sync(&app, &bob).await);
    assert_eq!(notices_in(&rooms[0].1).len(), 2);

    let cases = [
        (json!({ "user_id": "@nobody:localhost", "content": { "body": "x" } }), StatusCode::NOT_FOUND, "M_NOT_FOUND"),
        (
            json!({ "user_id": "@bob:elsewhere.example", "content": { "body": "x" } }),
            StatusCode::BAD_REQUEST,
            "M_INVALID_PARAM",
        ),
        (json!({ "user_id": bob_id, "content": { "msgtype": "m.text" } }), StatusCode::BAD_REQUEST, "M_BAD_JSON"),
        (json!({ "user_id": bob_id, "content": "text" }), StatusCode::BAD_REQUEST, "M_BAD_JSON"),
        (json!({ "user_id": bob_id }), StatusCode::BAD_REQUEST, "M_BAD_JSON"),
        (json!({ "user_id": "not an id", "content": { "body": "x" } }), StatusCode::BAD_REQUEST, "M_BAD_JSON"),
        (
            json!({ "user_id": bob_id, "content": { "body": "x" }, "type": "m.room.power_levels" }),
            StatusCode::BAD_REQUEST,
            "M_INVALID_PARAM",
        ),
        (
            json!({ "user_id": bob_id, "content": { "body": "x" }, "state_key": "" }),
            StatusCode::BAD_REQUEST,
            "M_INVALID_PARAM",
        ),
    ];
    for (body, status, errcode) in cases {
        let result = app.request(Method::POST, NOTICE_PATH, Some(&admin), Some(body.clone())).await;
        assert_eq!(result.0, status, "{body}: {}", result.1);
        assert_eq!(result.1["errcode"], errcode, "{body}: {}", result.1);
    }
}

#[tokio::test]
async fn a_user_who_leaves_the_notices_room_gets_a_new_one() {
    let app = TestApp::new().await;
    let admin = admin_token(&app).await;
    let (bob_id, bob) = app.register("bob").await;
    let notice = |body: &str| json!({ "user_id": bob_id, "content": { "body": body } });
    ok(&app, Method::POST, NOTICE_PATH, &admin, Some(notice("first"))).await;
    let (first_room, _) = notice_rooms(&sync(&app, &bob).await).remove(0);
    ok(&app, Method::POST, format!("/_matrix/client/v3/rooms/{}/leave", encode(&first_room)), &bob, Some(json!({})))
        .await;
    ok(&app, Method::POST, NOTICE_PATH, &admin, Some(notice("second"))).await;
    let rooms = notice_rooms(&sync(&app, &bob).await);
    assert_eq!(rooms.len(), 1);
    assert_ne!(rooms[0].0, first_room);
    assert_eq!(notices_in(&rooms[0].1), [json!({ "msgtype": "m.server_notice", "body": "second" })]);
}

#[tokio::test]
async fn a_login_from_a_new_device_tells_the_owner() {
    let app = TestApp::with_config(|config| config.notices.new_login = true).await;
    let (_, alice) = app.register("alice").await;
    assert!(notice_rooms(&sync(&app, &alice).await).is_empty(), "registering is not a login");

    login_from(&app, "alice", Some("NEWDEVICE"), "203.0.113.7").await;
    let rooms = notice_rooms(&sync(&app, &alice).await);
    assert_eq!(rooms.len(), 1, "the owner's existing session sees the notice");
    let notices = notices_in(&rooms[0].1);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["msgtype"], "m.server_notice");
    let body = notices[0]["body"].as_str().unwrap();
    assert!(body.starts_with("New login to your account from device NEWDEVICE (Element) at "), "{body}");
    assert!(body.contains(" UTC, IP 203.0.113.7."), "{body}");

    // The same device again is no news; a device the server names is.
    login_from(&app, "alice", Some("NEWDEVICE"), "198.51.100.1").await;
    assert_eq!(notices_in(&notice_rooms(&sync(&app, &alice).await)[0].1).len(), 1);
    let session = login_from(&app, "alice", None, "198.51.100.1").await;
    let device_id = session["device_id"].as_str().unwrap();
    let notices = notices_in(&notice_rooms(&sync(&app, &alice).await)[0].1);
    assert_eq!(notices.len(), 2);
    assert!(notices[1]["body"].as_str().unwrap().contains(&format!("device {device_id} (Element)")), "{notices:?}");
    assert!(notices[1]["body"].as_str().unwrap().contains("IP 198.51.100.1."), "{notices:?}");
}

#[tokio::test]
async fn new_login_notices_can_be_turned_off() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    login_from(&app, "alice", Some("QUIET"), "203.0.113.7").await;
    assert!(notice_rooms(&sync(&app, &alice).await).is_empty());
    assert!(app.services.store.get_user(ruma::user_id!("@server:localhost")).unwrap().is_none(), "no account made");
}

#[tokio::test]
async fn a_person_holding_the_notices_name_is_not_given_the_rooms() {
    let app = TestApp::with_config(|config| config.notices.new_login = true).await;
    // Registration refuses the name...
    let register = json!({ "username": "server", "password": "password-server", "auth": { "type": "m.login.dummy" } });
    let refused = app.request(Method::POST, "/_matrix/client/v3/register", None, Some(register)).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "M_USER_IN_USE");
    // ...but an operator may have created it before notices were configured.
    app.services.accounts.create_user("server", Some("a person's password"), false).expect("a person named server");
    // The admin's own first login already finds the name taken, and still succeeds.
    let admin = admin_token(&app).await;
    let (bob_id, bob) = app.register("bob").await;
    let notice = json!({ "user_id": bob_id, "content": { "body": "hello" } });
    let refused = app.request(Method::POST, NOTICE_PATH, Some(&admin), Some(notice)).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "M_BAD_STATE");
    // The login itself still succeeds; only the notice is skipped.
    login_from(&app, "bob", Some("PHONE"), "203.0.113.7").await;
    assert!(notice_rooms(&sync(&app, &bob).await).is_empty());
    send_text(&app, &bob, &app.create_room(&bob, json!({})).await, "still works").await;
}
