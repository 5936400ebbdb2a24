//! Shared-secret registration: the MAC computed as Synapse's documentation gives it registers;
//! a wrong MAC, a reused nonce and an unknown nonce do not.

use hmac::{Hmac, KeyInit, Mac};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha1::Sha1;

use super::{admin_token, ok, whoami};
use crate::support::{TestApp, assert_error};

const PATH: &str = "/_synapse/admin/v1/register";
const SECRET: &str = "a shared secret";

fn mac(nonce: &str, username: &str, password: &str, admin: bool) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    let kind = if admin { "admin" } else { "notadmin" };
    mac.update(format!("{nonce}\0{username}\0{password}\0{kind}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn nonce(app: &TestApp) -> String {
    let (status, body) = app.request(Method::GET, PATH, None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["nonce"].as_str().expect("nonce").to_owned()
}

/// A registration of `username` (password `pizza-pw`, not an admin) signed for `signed_admin`.
fn body(nonce: &str, username: &str, signed_admin: bool) -> Value {
    json!({
        "nonce": nonce, "username": username, "password": "pizza-pw", "admin": false,
        "mac": mac(nonce, username, "pizza-pw", signed_admin),
    })
}

async fn submit(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, PATH, None, Some(body)).await
}

#[tokio::test]
async fn a_correct_mac_registers() {
    let app = TestApp::with_config(|c| c.registration.shared_secret = Some(SECRET.into())).await;
    let root = admin_token(&app).await;

    let n = nonce(&app).await;
    let pepper = json!({
        "nonce": n, "username": "Pepper", "displayname": "Pepper Roni", "password": "pizza-pw", "admin": true,
        "mac": mac(&n, "Pepper", "pizza-pw", true),
    });
    let (status, registered) = submit(&app, pepper).await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    assert_eq!(registered["user_id"], "@pepper:localhost", "user names are lower-cased");
    assert_eq!(registered["home_server"], "localhost");
    assert!(registered["device_id"].is_string(), "{registered}");
    let token = registered["access_token"].as_str().expect("token");
    assert_eq!(whoami(&app, token).await.1["user_id"], "@pepper:localhost");
    let details = ok(&app, Method::GET, "/_synapse/admin/v2/users/@pepper:localhost", &root, None).await;
    assert_eq!((details["admin"].as_bool(), details["displayname"].as_str()), (Some(true), Some("Pepper Roni")));
    ok(&app, Method::GET, "/_synapse/admin/v2/users", token, None).await;

    let plain = nonce(&app).await;
    let (status, registered) = submit(&app, body(&plain, "salami", false)).await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let details = ok(&app, Method::GET, "/_synapse/admin/v2/users/@salami:localhost", &root, None).await;
    assert_eq!((details["admin"].as_bool(), details["displayname"].as_str()), (Some(false), Some("salami")));
}

#[tokio::test]
async fn wrong_macs_and_spent_or_unknown_nonces_are_refused() {
    let app = TestApp::with_config(|c| c.registration.shared_secret = Some(SECRET.into())).await;

    // Signed as an admin registration but sent as a plain one: the MAC covers the flag.
    let n = nonce(&app).await;
    let wrong = submit(&app, body(&n, "mallory", true)).await;
    assert_error(&wrong, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    // The nonce was spent by the failed attempt, so the right MAC cannot follow.
    let retried = submit(&app, body(&n, "mallory", false)).await;
    assert_error(&retried, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    let garbage = nonce(&app).await;
    let mut not_hex = body(&garbage, "mallory", false);
    not_hex["mac"] = json!("not a mac");
    assert_error(&submit(&app, not_hex).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    let n = nonce(&app).await;
    let (status, first) = submit(&app, body(&n, "alice", false)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let reused = submit(&app, body(&n, "bob", false)).await;
    assert_error(&reused, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    let unknown = submit(&app, body("never-handed-out", "bob", false)).await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    assert_eq!(unknown.1["error"], "unrecognised nonce");

    let incomplete = submit(&app, json!({ "nonce": nonce(&app).await, "username": "bob" })).await;
    assert_error(&incomplete, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    for name in ["mallory", "bob"] {
        assert!(app.services.accounts.is_available(name).unwrap(), "{name} was not created");
    }
    let taken = nonce(&app).await;
    assert_error(&submit(&app, body(&taken, "alice", false)).await, StatusCode::BAD_REQUEST, "M_USER_IN_USE");
}

#[tokio::test]
async fn disabled_without_a_secret() {
    let app = TestApp::new().await;
    let asked = app.request(Method::GET, PATH, None, None).await;
    assert_error(&asked, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    assert_eq!(asked.1["error"], "Shared secret registration is not enabled");
    let sent = submit(&app, body("any", "alice", false)).await;
    assert_error(&sent, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    assert!(app.services.accounts.is_available("alice").unwrap());
}
