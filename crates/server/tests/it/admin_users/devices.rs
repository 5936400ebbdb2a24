//! An account's devices through the admin API: listing, showing, renaming and deleting them;
//! deleting ends the session and tells the user's contacts.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{admin_token, login, ok, whoami};
use crate::support::{TestApp, assert_error, encode};

async fn log_in(app: &TestApp, device_id: &str) -> String {
    let body = json!({
        "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" },
        "password": "password-alice", "device_id": device_id, "initial_device_display_name": format!("{device_id} name"),
    });
    let (status, body) = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

fn device_ids(list: &Value) -> Vec<&str> {
    list["devices"].as_array().expect("devices").iter().map(|d| d["device_id"].as_str().expect("id")).collect()
}

#[tokio::test]
async fn list_show_rename_and_delete_devices() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&bob, json!({ "preset": "public_chat" })).await;
    ok(&app, Method::POST, format!("/_matrix/client/v3/join/{room}"), &alice, Some(json!({}))).await;
    let (laptop, phone) = (log_in(&app, "LAPTOP").await, log_in(&app, "PHONE").await);
    let registered = whoami(&app, &alice).await.1["device_id"].as_str().unwrap().to_owned();
    let base = format!("/_synapse/admin/v2/users/{alice_id}/devices");

    let list = ok(&app, Method::GET, &base, &root, None).await;
    let mut expected = vec!["LAPTOP", "PHONE", registered.as_str()];
    expected.sort();
    assert_eq!((device_ids(&list), list["total"].as_u64()), (expected, Some(3)));
    let device = ok(&app, Method::GET, format!("{base}/PHONE"), &root, None).await;
    assert_eq!((device["device_id"].as_str(), device["user_id"].as_str()), (Some("PHONE"), Some(alice_id.as_str())));
    assert_eq!(device["display_name"], "PHONE name");
    assert!(device["last_seen_ts"].as_u64().is_some(), "{device}");
    for field in ["last_seen_ip", "last_seen_user_agent"] {
        assert!(device.get(field).is_some(), "{field} missing: {device}");
    }

    ok(&app, Method::PUT, format!("{base}/PHONE"), &root, Some(json!({ "display_name": "Work phone" }))).await;
    assert_eq!(ok(&app, Method::GET, format!("{base}/PHONE"), &root, None).await["display_name"], "Work phone");
    ok(&app, Method::PUT, format!("{base}/PHONE"), &root, Some(json!({}))).await;
    assert_eq!(ok(&app, Method::GET, format!("{base}/PHONE"), &root, None).await["display_name"], "Work phone");

    let since = ok(&app, Method::GET, "/_matrix/client/v3/sync?timeout=0", &bob, None).await["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&app, Method::DELETE, format!("{base}/PHONE"), &root, None).await;
    assert_error(&whoami(&app, &phone).await, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    assert_eq!(whoami(&app, &laptop).await.0, StatusCode::OK);
    let synced =
        ok(&app, Method::GET, format!("/_matrix/client/v3/sync?timeout=0&since={}", encode(&since)), &bob, None).await;
    assert_eq!(synced["device_lists"]["changed"], json!([alice_id]), "bob is told: {synced}");
    // Deleting a device that is gone succeeds, as in Synapse; showing it does not.
    ok(&app, Method::DELETE, format!("{base}/PHONE"), &root, None).await;
    let gone = app.request(Method::GET, &format!("{base}/PHONE"), Some(&root), None).await;
    assert_error(&gone, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let rename_gone =
        app.request(Method::PUT, &format!("{base}/PHONE"), Some(&root), Some(json!({ "display_name": "x" }))).await;
    assert_error(&rename_gone, StatusCode::NOT_FOUND, "M_NOT_FOUND");

    let many = json!({ "devices": ["LAPTOP", registered, "NOT-HERS"] });
    ok(&app, Method::POST, format!("/_synapse/admin/v2/users/{alice_id}/delete_devices"), &root, Some(many)).await;
    for token in [&alice, &laptop] {
        assert_error(&whoami(&app, token).await, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    }
    assert_eq!(ok(&app, Method::GET, &base, &root, None).await, json!({ "devices": [], "total": 0 }));
    assert_eq!(login(&app, "alice", "password-alice").await.0, StatusCode::OK, "the account itself is intact");

    let unknown =
        app.request(Method::GET, "/_synapse/admin/v2/users/@nobody:localhost/devices", Some(&root), None).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let remote =
        app.request(Method::GET, "/_synapse/admin/v2/users/@a:elsewhere.example/devices", Some(&root), None).await;
    assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let missing = app
        .request(
            Method::POST,
            &format!("/_synapse/admin/v2/users/{alice_id}/delete_devices"),
            Some(&root),
            Some(json!({})),
        )
        .await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "M_BAD_JSON");
}
