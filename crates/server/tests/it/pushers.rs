//! Pushers at the HTTP level: `GET /pushers` and `POST /pushers/set`: storing, replacing,
//! appending and deleting, validation, privacy, and removal with the device that set them.
//! Nothing is pushed anywhere; these tests only read pushers back.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};

const V3: &str = "/_matrix/client/v3";
const GATEWAY: &str = "https://push.example.org/_matrix/push/v1/notify";

fn http_pusher(app_id: &str, pushkey: &str) -> Value {
    json!({
        "kind": "http",
        "app_id": app_id,
        "pushkey": pushkey,
        "app_display_name": "App",
        "device_display_name": "Phone",
        "lang": "en",
        "data": { "url": GATEWAY },
    })
}

async fn set(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("{V3}/pushers/set"), Some(token), Some(body)).await
}

async fn set_ok(app: &TestApp, token: &str, body: Value) {
    let (status, response) = set(app, token, body).await;
    assert_eq!(status, StatusCode::OK, "pushers/set: {response}");
    assert_eq!(response, json!({}));
}

fn delete(app_id: &str, pushkey: &str) -> Value {
    json!({ "app_id": app_id, "pushkey": pushkey, "kind": null })
}

async fn pushers(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.request(Method::GET, &format!("{V3}/pushers"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "pushers: {body}");
    body["pushers"].as_array().cloned().unwrap_or_else(|| panic!("no pushers array: {body}"))
}

/// `(app_id, pushkey)` of the caller's pushers.
async fn keys(app: &TestApp, token: &str) -> Vec<(String, String)> {
    pushers(app, token)
        .await
        .iter()
        .map(|p| {
            (p["app_id"].as_str().unwrap_or_default().to_owned(), p["pushkey"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn key(app_id: &str, pushkey: &str) -> (String, String) {
    (app_id.to_owned(), pushkey.to_owned())
}

/// Logs in again as `localpart` (registered by `TestApp::register`): a new device and token.
async fn login(app: &TestApp, localpart: &str) -> String {
    let body = json!({
        "type": "m.login.password",
        "identifier": { "type": "m.id.user", "user": localpart },
        "password": format!("password-{localpart}"),
    });
    let (status, response) = app.request(Method::POST, &format!("{V3}/login"), None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "login: {response}");
    response["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test]
async fn set_and_get_round_trip() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    assert!(pushers(&app, &alice).await.is_empty(), "none yet");

    let http = json!({
        "kind": "http",
        "app_id": "org.example.app",
        "pushkey": "token-1",
        "app_display_name": "Example",
        "device_display_name": "Alice's phone",
        "profile_tag": "xyz",
        "lang": "en-GB",
        "data": {
            "url": GATEWAY,
            "format": "event_id_only",
            "default_payload": { "aps": { "mutable-content": 1 } },
            "custom": [1, "two"],
        },
    });
    let email = json!({
        "kind": "email",
        "app_id": "m.email",
        "pushkey": "alice@example.org",
        "app_display_name": "Email",
        "device_display_name": "alice@example.org",
        "lang": "fr",
        "data": { "brand": "Example" },
    });
    let mut appended = http.clone();
    appended["append"] = json!(true);
    set_ok(&app, &alice, appended).await;
    set_ok(&app, &alice, email.clone()).await;
    // Ordered by app_id, and given back as sent: every data key kept, no `append`.
    assert_eq!(pushers(&app, &alice).await, [email, http]);
}

#[tokio::test]
async fn same_app_id_and_pushkey_is_replaced() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    set_ok(&app, &alice, http_pusher("org.example.app", "token-1")).await;
    set_ok(&app, &alice, http_pusher("org.example.app", "token-2")).await;
    set_ok(&app, &alice, http_pusher("org.example.other", "token-1")).await;

    let mut replacement = http_pusher("org.example.app", "token-1");
    replacement["app_display_name"] = json!("Example 2");
    replacement["lang"] = json!("de");
    replacement["data"] = json!({ "url": "http://localhost:5000/_matrix/push/v1/notify" });
    set_ok(&app, &alice, replacement.clone()).await;
    let listed = pushers(&app, &alice).await;
    assert_eq!(listed.len(), 3, "replaced, not added: {listed:?}");
    assert_eq!(listed[0], replacement);
}

#[tokio::test]
async fn append_false_takes_the_pushkey_from_other_users() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    set_ok(&app, &alice, http_pusher("org.example.app", "shared")).await;
    set_ok(&app, &alice, http_pusher("org.example.app", "alice-only")).await;

    let mut appended = http_pusher("org.example.app", "shared");
    appended["append"] = json!(true);
    set_ok(&app, &bob, appended).await;
    assert_eq!(keys(&app, &alice).await.len(), 2, "append keeps Alice's");
    assert_eq!(keys(&app, &bob).await, [key("org.example.app", "shared")]);

    let mut not_appended = http_pusher("org.example.app", "shared");
    not_appended["append"] = json!(false);
    set_ok(&app, &bob, not_appended).await;
    assert_eq!(keys(&app, &alice).await, [key("org.example.app", "alice-only")], "taken from Alice");
    assert_eq!(keys(&app, &bob).await, [key("org.example.app", "shared")]);

    // `append` defaults to false.
    set_ok(&app, &alice, http_pusher("org.example.app", "shared")).await;
    assert!(keys(&app, &bob).await.is_empty());
}

#[tokio::test]
async fn kind_null_deletes() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    set_ok(&app, &alice, http_pusher("org.example.app", "token-1")).await;
    set_ok(&app, &alice, http_pusher("org.example.app", "token-2")).await;

    set_ok(&app, &alice, delete("org.example.app", "token-1")).await;
    assert_eq!(keys(&app, &alice).await, [key("org.example.app", "token-2")]);
    set_ok(&app, &alice, delete("org.example.app", "token-1")).await;
    set_ok(&app, &alice, delete("org.example.other", "token-2")).await;
    assert_eq!(keys(&app, &alice).await, [key("org.example.app", "token-2")], "only the named pusher goes");
    set_ok(&app, &alice, delete("org.example.app", "token-2")).await;
    assert!(pushers(&app, &alice).await.is_empty());
}

#[tokio::test]
async fn invalid_pushers_are_rejected() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let with = |field: &str, value: Value| {
        let mut body = http_pusher("org.example.app", "token-1");
        body[field] = value;
        body
    };
    let invalid = [
        with("data", json!({})),
        with("data", json!({ "url": 5 })),
        with("data", json!({ "url": "https://push.example.org/notify" })),
        with("data", json!({ "url": "https://push.example.org/_matrix/push/v1/notify?key=1" })),
        with("data", json!({ "url": "ftp://push.example.org/_matrix/push/v1/notify" })),
        with("data", json!({ "url": "push.example.org/_matrix/push/v1/notify" })),
        with("data", json!({ "url": "https:///_matrix/push/v1/notify" })),
        with("data", json!({ "url": GATEWAY, "format": 1 })),
        with("kind", json!("sms")),
        with("pushkey", json!("k".repeat(513))),
        with("app_id", json!("a".repeat(65))),
        json!({ "app_id": "a".repeat(65), "pushkey": "token-1", "kind": null }),
    ];
    for body in invalid {
        assert_error(&set(&app, &alice, body.clone()).await, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    }

    let mut incomplete = http_pusher("org.example.app", "token-1");
    if let Some(object) = incomplete.as_object_mut() {
        object.remove("lang");
        object.remove("data");
    }
    let result = set(&app, &alice, incomplete).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_MISSING_PARAM");
    let message = result.1["error"].as_str().unwrap_or_default();
    assert!(message.contains("lang") && message.contains("data"), "every missing field is named: {message}");
    let mut kindless = http_pusher("org.example.app", "token-1");
    if let Some(object) = kindless.as_object_mut() {
        object.remove("kind");
    }
    assert_error(&set(&app, &alice, kindless).await, StatusCode::BAD_REQUEST, "M_MISSING_PARAM");
    let pushkeyless = json!({ "app_id": "org.example.app", "kind": null });
    assert_error(&set(&app, &alice, pushkeyless).await, StatusCode::BAD_REQUEST, "M_MISSING_PARAM");

    assert_error(&set(&app, &alice, with("pushkey", json!(5))).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&set(&app, &alice, with("data", json!("url"))).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&set(&app, &alice, json!([])).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let not_json = app
        .raw_request(Method::POST, &format!("{V3}/pushers/set"), Some(&alice), b"{".to_vec(), "application/json")
        .await;
    assert_error(&not_json, StatusCode::BAD_REQUEST, "M_NOT_JSON");
    let anonymous = app.request(Method::POST, &format!("{V3}/pushers/set"), None, Some(http_pusher("a", "b"))).await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    assert_error(
        &app.request(Method::GET, &format!("{V3}/pushers"), None, None).await,
        StatusCode::UNAUTHORIZED,
        "M_MISSING_TOKEN",
    );
    assert!(pushers(&app, &alice).await.is_empty(), "nothing was stored");

    // The limits themselves are accepted: 512 bytes of pushkey, 64 characters of app_id.
    let longest = http_pusher(&"\u{e9}".repeat(64), &"k".repeat(512));
    set_ok(&app, &alice, longest.clone()).await;
    assert_eq!(pushers(&app, &alice).await, [longest]);
}

#[tokio::test]
async fn logout_removes_the_device_pushers() {
    let app = TestApp::new().await;
    let (_, first) = app.register("alice").await;
    let second = login(&app, "alice").await;
    set_ok(&app, &first, http_pusher("org.example.app", "first")).await;
    set_ok(&app, &second, http_pusher("org.example.app", "second")).await;
    // Set again from the second device, this pusher now belongs to it.
    set_ok(&app, &first, http_pusher("org.example.app", "moved")).await;
    set_ok(&app, &second, http_pusher("org.example.app", "moved")).await;
    assert_eq!(keys(&app, &second).await.len(), 3);

    let (status, body) = app.request(Method::POST, &format!("{V3}/logout"), Some(&first), None).await;
    assert_eq!(status, StatusCode::OK, "logout: {body}");
    assert_eq!(keys(&app, &second).await, [key("org.example.app", "moved"), key("org.example.app", "second")]);

    let (status, body) = app.request(Method::POST, &format!("{V3}/logout/all"), Some(&second), None).await;
    assert_eq!(status, StatusCode::OK, "logout/all: {body}");
    let third = login(&app, "alice").await;
    assert!(pushers(&app, &third).await.is_empty(), "gone with every device");
}

#[tokio::test]
async fn pushers_are_private() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    set_ok(&app, &alice, http_pusher("org.example.app", "alice-token")).await;

    assert!(pushers(&app, &bob).await.is_empty(), "Bob sees none of Alice's pushers");
    set_ok(&app, &bob, delete("org.example.app", "alice-token")).await;
    assert_eq!(keys(&app, &alice).await, [key("org.example.app", "alice-token")], "nor can he delete them");
}
