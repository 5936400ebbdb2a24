//! Bad input gets a clear Matrix error, never a 500.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn malformed_json_is_not_json() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let result = app
        .raw_request(
            Method::POST,
            "/_matrix/client/v3/createRoom",
            Some(&token),
            b"{not json".to_vec(),
            "application/json",
        )
        .await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_NOT_JSON");
}

#[tokio::test]
async fn wrong_shape_is_bad_json() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    // A number where a user id belongs.
    let result =
        app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&token), Some(json!({ "invite": [42] }))).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let result = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(json!({ "type": 7 }))).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
}

#[tokio::test]
async fn malformed_ids_are_invalid_params() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let result = app.request(Method::GET, "/_matrix/client/v3/rooms/not-a-room-id/state", Some(&token), None).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn unknown_endpoint_and_wrong_method_are_unrecognized() {
    let app = TestApp::new().await;
    let result = app.request(Method::GET, "/_matrix/client/v3/no/such/thing", None, None).await;
    assert_error(&result, StatusCode::NOT_FOUND, "M_UNRECOGNIZED");
    let result = app.request(Method::DELETE, "/_matrix/client/versions", None, None).await;
    assert_error(&result, StatusCode::METHOD_NOT_ALLOWED, "M_UNRECOGNIZED");
}

#[tokio::test]
async fn missing_and_unknown_tokens() {
    let app = TestApp::new().await;
    let result = app.request(Method::GET, "/_matrix/client/v3/account/whoami", None, None).await;
    assert_error(&result, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    let result = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some("nonsense"), None).await;
    assert_error(&result, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    assert_eq!(result.1["soft_logout"], false);
}

#[tokio::test]
async fn oversized_body_is_too_large() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let huge = vec![b' '; 2 * 1024 * 1024];
    let result =
        app.raw_request(Method::POST, "/_matrix/client/v3/createRoom", Some(&token), huge, "application/json").await;
    assert_error(&result, StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE");
}

#[tokio::test]
async fn oversized_event_is_too_large() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let room = app.create_room(&token, json!({})).await;
    let body = json!({ "msgtype": "m.text", "body": "x".repeat(70_000) });
    let result = app
        .request(
            Method::PUT,
            &format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/t1"),
            Some(&token),
            Some(body),
        )
        .await;
    assert_error(&result, StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE");
}

#[tokio::test]
async fn inviting_a_nonexistent_user_is_not_found() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let room = app.create_room(&token, json!({})).await;
    let result = app
        .request(
            Method::POST,
            &format!("/_matrix/client/v3/rooms/{room}/invite"),
            Some(&token),
            Some(json!({ "user_id": "@ghost:localhost" })),
        )
        .await;
    assert_error(&result, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn login_without_type_is_bad_json_not_a_crash() {
    let app = TestApp::new().await;
    let result = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(json!({ "password": "x" }))).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
}

#[tokio::test]
async fn writes_are_rate_limited_when_enabled() {
    let app = TestApp::with_config(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.per_second = 0.1;
        c.rate_limits.burst = 3;
    })
    .await;
    let (_, token) = app.register("alice").await;
    let mut limited = None;
    for n in 0..6 {
        let result = app
            .request(
                Method::POST,
                "/_matrix/client/v3/createRoom",
                Some(&token),
                Some(json!({ "name": format!("r{n}") })),
            )
            .await;
        if result.0 == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(result);
            break;
        }
        assert_eq!(result.0, StatusCode::OK, "{}", result.1);
    }
    let limited = limited.expect("no request was limited");
    assert_eq!(limited.1["errcode"], "M_LIMIT_EXCEEDED");
    assert!(limited.1["retry_after_ms"].as_u64().unwrap() > 0);
}
