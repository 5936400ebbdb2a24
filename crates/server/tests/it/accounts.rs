//! Registration, login, sessions and devices at the HTTP level.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn registration_runs_user_interactive_auth() {
    let app = TestApp::new().await;
    let (status, body) = app
        .request(
            Method::POST,
            "/_matrix/client/v3/register",
            None,
            Some(json!({ "username": "alice", "password": "pw-alice" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["flows"][0]["stages"][0], "m.login.dummy");
    let session = body["session"].as_str().unwrap().to_owned();
    let (status, body) = app
        .request(
            Method::POST,
            "/_matrix/client/v3/register",
            None,
            Some(json!({ "username": "alice", "password": "pw-alice", "auth": { "type": "m.login.dummy", "session": session } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], "@alice:localhost");
    let token = body["access_token"].as_str().unwrap();
    let (status, body) = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user_id"], "@alice:localhost");
}

#[tokio::test]
async fn registration_disabled_and_token_modes() {
    let app = TestApp::with_config(|c| c.registration.mode = rempart_types::config::RegistrationMode::Disabled).await;
    let result = app
        .request(
            Method::POST,
            "/_matrix/client/v3/register",
            None,
            Some(json!({ "username": "a", "password": "p", "auth": { "type": "m.login.dummy" } })),
        )
        .await;
    assert_error(&result, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    let app = TestApp::with_config(|c| {
        c.registration.mode = rempart_types::config::RegistrationMode::Token;
        c.registration.tokens = vec!["letmein".into()];
    })
    .await;
    let body = |auth| json!({ "username": "bob", "password": "pw", "auth": auth });
    let (status, _) = app
        .request(Method::POST, "/_matrix/client/v3/register", None, Some(body(json!({ "type": "m.login.dummy" }))))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "dummy is not enough in token mode");
    let (status, _) = app
        .request(
            Method::POST,
            "/_matrix/client/v3/register",
            None,
            Some(body(json!({ "type": "m.login.registration_token", "token": "wrong" }))),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .request(
            Method::POST,
            "/_matrix/client/v3/register",
            None,
            Some(body(json!({ "type": "m.login.registration_token", "token": "letmein" }))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn taken_names_and_availability() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let result = app.request(Method::GET, "/_matrix/client/v3/register/available?username=alice", None, None).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_USER_IN_USE");
    let (status, body) =
        app.request(Method::GET, "/_matrix/client/v3/register/available?username=bob", None, None).await;
    assert_eq!((status, body["available"].clone()), (StatusCode::OK, json!(true)));
    let result = app.request(Method::GET, "/_matrix/client/v3/register/available?username=B%20B", None, None).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_INVALID_USERNAME");
}

#[tokio::test]
async fn login_logout_and_password_change() {
    let app = TestApp::new().await;
    let (_, first_token) = app.register("alice").await;
    let login = |user: &str, password: &str| json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": user }, "password": password });
    let (status, body) =
        app.request(Method::POST, "/_matrix/client/v3/login", None, Some(login("alice", "password-alice"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second_token = body["access_token"].as_str().unwrap().to_owned();
    let result =
        app.request(Method::POST, "/_matrix/client/v3/login", None, Some(login("@alice:localhost", "wrong"))).await;
    assert_error(&result, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    // Changing the password logs out the other device unless asked not to.
    let (status, body) = app
        .request(
            Method::POST,
            "/_matrix/client/v3/account/password",
            Some(&second_token),
            Some(json!({ "new_password": "new-pw" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let session = body["session"].as_str().unwrap().to_owned();
    let auth = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": "password-alice", "session": session });
    let (status, body) = app
        .request(
            Method::POST,
            "/_matrix/client/v3/account/password",
            Some(&second_token),
            Some(json!({ "new_password": "new-pw", "auth": auth })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&first_token), None).await;
    assert_error(&result, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    let (status, _) = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(login("alice", "new-pw"))).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app.request(Method::POST, "/_matrix/client/v3/logout", Some(&second_token), None).await;
    assert_eq!(status, StatusCode::OK);
    let result = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&second_token), None).await;
    assert_error(&result, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
}

#[tokio::test]
async fn deactivation_kills_every_session_and_login() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let auth = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": "password-alice" });
    let (status, body) = app
        .request(Method::POST, "/_matrix/client/v3/account/deactivate", Some(&token), Some(json!({ "auth": auth })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&token), None).await;
    assert_error(&result, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    let login = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": "password-alice" });
    let result = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(login)).await;
    assert_error(&result, StatusCode::FORBIDDEN, "M_FORBIDDEN");
}

#[tokio::test]
async fn versions_and_capabilities() {
    let app = TestApp::new().await;
    let (status, body) = app.request(Method::GET, "/_matrix/client/versions", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["versions"].as_array().unwrap().iter().any(|v| v == "v1.16"));
    let (_, token) = app.register("alice").await;
    let (status, body) = app.request(Method::GET, "/_matrix/client/v3/capabilities", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["capabilities"]["m.room_versions"]["default"], "12");
    // ruma leaves out capabilities at their default (enabled), which the spec reads as enabled.
    assert_ne!(body["capabilities"]["m.change_password"]["enabled"], false);
}

#[tokio::test]
async fn an_open_sync_ends_when_its_session_is_revoked() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let (_, first) = app.register("alice").await;
    let login = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": "password-alice" });
    let (_, body) = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(login)).await;
    let second = body["access_token"].as_str().unwrap().to_owned();
    let (_, initial) = app.request(Method::GET, "/_matrix/client/v3/sync", Some(&first), None).await;
    let since = initial["next_batch"].as_str().unwrap().to_owned();

    // A long-poll of the first session, waiting for news that never comes.
    let poller = {
        let (app, first) = (app.clone(), first.clone());
        tokio::spawn(async move {
            app.request(
                Method::GET,
                &format!("/_matrix/client/v3/sync?since={since}&timeout=60000"),
                Some(&first),
                None,
            )
            .await
        })
    };
    tokio::task::yield_now().await;
    let (status, _) = app.request(Method::POST, "/_matrix/client/v3/logout/all", Some(&second), None).await;
    assert_eq!(status, StatusCode::OK);
    let ended =
        tokio::time::timeout(std::time::Duration::from_secs(30), poller).await.expect("the sync ended").unwrap();
    assert_error(&ended, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
}
