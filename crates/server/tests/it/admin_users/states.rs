//! What locking, suspending and deactivating an account through the admin API do to it, and
//! the spec's moderation endpoints (MSC4323) with their capability.

use std::{sync::Arc, time::Duration};

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{admin_token, login, ok, whoami};
use crate::support::{TestApp, assert_error, encode, send_text};

const STABLE: &str = "/_matrix/client/v1/admin";
const UNSTABLE: &str = "/_matrix/client/unstable/uk.timedout.msc4323/admin";

async fn next_batch(app: &TestApp, token: &str) -> String {
    let body = ok(app, Method::GET, "/_matrix/client/v3/sync?timeout=0", token, None).await;
    body["next_batch"].as_str().expect("next_batch").to_owned()
}

#[tokio::test]
async fn lock_and_unlock_with_the_spec_endpoints() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;

    for prefix in [STABLE, UNSTABLE] {
        let path = format!("{prefix}/lock/{alice_id}");
        assert_eq!(ok(&app, Method::GET, &path, &root, None).await, json!({ "locked": false }));
        assert_eq!(
            ok(&app, Method::PUT, &path, &root, Some(json!({ "locked": true }))).await,
            json!({ "locked": true })
        );
        // Asking again for the state it is in succeeds.
        ok(&app, Method::PUT, &path, &root, Some(json!({ "locked": true }))).await;
        assert_eq!(ok(&app, Method::GET, &path, &root, None).await, json!({ "locked": true }));

        let refused = whoami(&app, &alice).await;
        assert_error(&refused, StatusCode::UNAUTHORIZED, "M_USER_LOCKED");
        assert_eq!(refused.1["soft_logout"], true);
        let refused = app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(json!({}))).await;
        assert_error(&refused, StatusCode::UNAUTHORIZED, "M_USER_LOCKED");
        let login_refused = login(&app, "alice", "password-alice").await;
        assert_error(&login_refused, StatusCode::UNAUTHORIZED, "M_USER_LOCKED");
        assert_eq!(login_refused.1["soft_logout"], true);

        ok(&app, Method::PUT, &path, &root, Some(json!({ "locked": false }))).await;
        assert_eq!(whoami(&app, &alice).await.0, StatusCode::OK, "the same token works again");
        assert_eq!(login(&app, "alice", "password-alice").await.0, StatusCode::OK);
    }

    for kind in ["lock", "suspend"] {
        let unknown = app.request(Method::GET, &format!("{STABLE}/{kind}/@nobody:localhost"), Some(&root), None).await;
        assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
        let remote =
            app.request(Method::GET, &format!("{STABLE}/{kind}/@a:elsewhere.example"), Some(&root), None).await;
        assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
        let body = if kind == "lock" { json!({ "locked": "yes" }) } else { json!({}) };
        let malformed = app.request(Method::PUT, &format!("{STABLE}/{kind}/{alice_id}"), Some(&root), Some(body)).await;
        assert_error(&malformed, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    }
    ok(&app, Method::POST, format!("/_synapse/admin/v1/deactivate/{alice_id}"), &root, Some(json!({}))).await;
    for kind in ["lock", "suspend"] {
        // The spec treats deactivated accounts as gone.
        let gone = app.request(Method::GET, &format!("{UNSTABLE}/{kind}/{alice_id}"), Some(&root), None).await;
        assert_error(&gone, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    }
}

#[tokio::test]
async fn a_lock_ends_an_open_long_poll() {
    let app = Arc::new(TestApp::new().await);
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let since = next_batch(&app, &alice).await;

    let poller = {
        let (app, alice) = (Arc::clone(&app), alice.clone());
        tokio::spawn(async move {
            let path = format!("/_matrix/client/v3/sync?since={}&timeout=30000", encode(&since));
            app.request(Method::GET, &path, Some(&alice), None).await
        })
    };
    // Give the sync the chance to start waiting; nothing it could deliver happens meanwhile.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poller.is_finished(), "the sync is waiting for news");
    ok(&app, Method::PUT, format!("{STABLE}/lock/{alice_id}"), &root, Some(json!({ "locked": true }))).await;
    // A liveness bound far below the sync's own timeout, not a measurement.
    let ended = tokio::time::timeout(Duration::from_secs(5), poller).await.expect("the lock ended the sync").unwrap();
    assert_error(&ended, StatusCode::UNAUTHORIZED, "M_USER_LOCKED");
    assert_eq!(ended.1["soft_logout"], true);
}

#[tokio::test]
async fn suspended_accounts_read_but_do_not_write() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let (carol_id, _) = app.register("carol").await;
    let room = app.create_room(&bob, json!({ "preset": "public_chat" })).await;
    let other = app.create_room(&bob, json!({ "preset": "public_chat" })).await;
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{room}"), &alice, Some(json!({}))).await;
    send_text(&app, &bob, &room, "hello").await;

    let suspended = ok(
        &app,
        Method::PUT,
        format!("/_synapse/admin/v1/suspend/{alice_id}"),
        &root,
        Some(json!({ "suspend": true })),
    )
    .await;
    assert_eq!(suspended, json!({ format!("user_{alice_id}_suspended"): true }));
    assert_eq!(
        ok(&app, Method::GET, format!("{STABLE}/suspend/{alice_id}"), &root, None).await,
        json!({ "suspended": true })
    );
    let details = ok(&app, Method::GET, format!("/_synapse/admin/v2/users/{alice_id}"), &root, None).await;
    assert_eq!(details["suspended"], true);

    // Reads.
    let synced = ok(&app, Method::GET, "/_matrix/client/v3/sync?timeout=0", &alice, None).await;
    assert!(synced["rooms"]["join"][&room].is_object(), "{synced}");
    let messages = ok(&app, Method::GET, format!("/_matrix/client/v3/rooms/{room}/messages?dir=b"), &alice, None).await;
    assert!(messages["chunk"].as_array().unwrap().iter().any(|e| e["content"]["body"] == "hello"), "{messages}");

    // Writes.
    let refused = |result: (StatusCode, Value), what: &str| {
        assert_eq!(result.0, StatusCode::FORBIDDEN, "{what}: {}", result.1);
        assert_eq!(result.1["errcode"], "M_USER_SUSPENDED", "{what}: {}", result.1);
    };
    let typing = format!("/_matrix/client/v3/rooms/{room}/typing/{alice_id}");
    refused(
        app.request(Method::PUT, &typing, Some(&alice), Some(json!({ "typing": true, "timeout": 1000 }))).await,
        "typing",
    );
    let to_device = json!({ "messages": { carol_id.clone(): { "*": { "x": 1 } } } });
    refused(
        app.request(Method::PUT, "/_matrix/client/v3/sendToDevice/m.test/td1", Some(&alice), Some(to_device)).await,
        "to-device",
    );
    let send = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/t1");
    refused(
        app.request(Method::PUT, &send, Some(&alice), Some(json!({ "msgtype": "m.text", "body": "x" }))).await,
        "send",
    );
    let invite = format!("/_matrix/client/v3/rooms/{room}/invite");
    refused(app.request(Method::POST, &invite, Some(&alice), Some(json!({ "user_id": carol_id }))).await, "invite");
    let join = format!("/_matrix/client/v3/join/{other}");
    refused(app.request(Method::POST, &join, Some(&alice), Some(json!({}))).await, "join");
    let profile = format!("/_matrix/client/v3/profile/{alice_id}/displayname");
    refused(app.request(Method::PUT, &profile, Some(&alice), Some(json!({ "displayname": "A" }))).await, "profile");
    let upload = app
        .raw_request(
            Method::POST,
            "/_matrix/media/v3/upload?filename=a.txt",
            Some(&alice),
            b"hi".to_vec(),
            "text/plain",
        )
        .await;
    refused(upload, "upload");
    refused(app.request(Method::POST, "/_matrix/media/v1/create", Some(&alice), None).await, "create media");
    refused(
        app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(json!({}))).await,
        "createRoom",
    );

    // Leaving and logging out stay possible.
    ok(&app, Method::POST, format!("/_matrix/client/v3/rooms/{room}/leave"), &alice, Some(json!({}))).await;
    let (status, second) = login(&app, "alice", "password-alice").await;
    assert_eq!(status, StatusCode::OK, "suspended accounts may log in: {second}");
    ok(&app, Method::POST, "/_matrix/client/v3/logout", &alice, Some(json!({}))).await;

    // Lifted through the spec endpoint, on both paths.
    let second = second["access_token"].as_str().unwrap().to_owned();
    let lifted =
        ok(&app, Method::PUT, format!("{UNSTABLE}/suspend/{alice_id}"), &root, Some(json!({ "suspended": false })));
    assert_eq!(lifted.await, json!({ "suspended": false }));
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{other}"), &second, Some(json!({}))).await;
    ok(&app, Method::PUT, format!("{STABLE}/suspend/{alice_id}"), &root, Some(json!({ "suspended": true }))).await;
    refused(app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&second), Some(json!({}))).await, "again");
    let unsuspend = json!({ "suspend": false });
    ok(&app, Method::PUT, format!("/_synapse/admin/v1/suspend/{alice_id}"), &root, Some(unsuspend)).await;
    app.create_room(&second, json!({})).await;

    let unknown = app
        .request(
            Method::PUT,
            "/_synapse/admin/v1/suspend/@nobody:localhost",
            Some(&root),
            Some(json!({ "suspend": true })),
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let remote = app
        .request(
            Method::PUT,
            "/_synapse/admin/v1/suspend/@a:elsewhere.example",
            Some(&root),
            Some(json!({ "suspend": true })),
        )
        .await;
    assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn deactivation_through_the_admin_api() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, phone) = login(&app, "alice", "password-alice").await;
    let phone = phone["access_token"].as_str().unwrap().to_owned();
    let room = app.create_room(&bob, json!({ "preset": "public_chat" })).await;
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{room}"), &alice, Some(json!({}))).await;
    let devices = format!("/_synapse/admin/v2/users/{alice_id}/devices");
    assert_eq!(ok(&app, Method::GET, &devices, &root, None).await["total"], 2);

    let answer = ok(&app, Method::POST, format!("/_synapse/admin/v1/deactivate/{alice_id}"), &root, None).await;
    assert_eq!(answer, json!({ "id_server_unbind_result": "success" }));

    for token in [&alice, &phone] {
        assert_error(&whoami(&app, token).await, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    }
    assert_error(&login(&app, "alice", "password-alice").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_eq!(ok(&app, Method::GET, &devices, &root, None).await, json!({ "devices": [], "total": 0 }));
    let members = ok(&app, Method::GET, format!("/_matrix/client/v3/rooms/{room}/joined_members"), &bob, None).await;
    assert_eq!(members["joined"].as_object().unwrap().keys().collect::<Vec<_>>(), [&bob_id], "{members}");
    let rooms = ok(&app, Method::GET, format!("/_synapse/admin/v1/users/{alice_id}/joined_rooms"), &root, None).await;
    assert_eq!(rooms["total"], 0);
    let details = ok(&app, Method::GET, format!("/_synapse/admin/v2/users/{alice_id}"), &root, None).await;
    assert_eq!((details["deactivated"].as_bool(), details["erased"].as_bool()), (Some(true), Some(false)));
    assert_eq!((details["displayname"].clone(), details["avatar_url"].clone()), (Value::Null, Value::Null));

    // Erasing afterwards marks the account erased.
    let erase = Some(json!({ "erase": true }));
    ok(&app, Method::POST, format!("/_synapse/admin/v1/deactivate/{alice_id}"), &root, erase).await;
    let details = ok(&app, Method::GET, format!("/_synapse/admin/v2/users/{alice_id}"), &root, None).await;
    assert_eq!(details["erased"], true);

    let bad = app
        .request(
            Method::POST,
            &format!("/_synapse/admin/v1/deactivate/{bob_id}"),
            Some(&root),
            Some(json!({ "erase": "yes" })),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let unknown = app.request(Method::POST, "/_synapse/admin/v1/deactivate/@nobody:localhost", Some(&root), None).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_eq!(whoami(&app, &bob).await.0, StatusCode::OK, "bob is untouched");
}

#[tokio::test]
async fn only_admins_are_offered_account_moderation() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (_, alice) = app.register("alice").await;
    let capabilities = ok(&app, Method::GET, "/_matrix/client/v3/capabilities", &root, None).await;
    let expected = json!({ "suspend": true, "lock": true });
    assert_eq!(capabilities["capabilities"]["m.account_moderation"], expected, "{capabilities}");
    assert_eq!(capabilities["capabilities"]["uk.timedout.msc4323"], expected, "{capabilities}");
    let capabilities = ok(&app, Method::GET, "/_matrix/client/v3/capabilities", &alice, None).await;
    assert!(capabilities["capabilities"].get("m.account_moderation").is_none(), "{capabilities}");
    assert!(capabilities["capabilities"].get("uk.timedout.msc4323").is_none(), "{capabilities}");
}
