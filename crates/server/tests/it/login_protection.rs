//! Abuse limits at the HTTP level: brute-force protection of logins (per account and address,
//! per address, through user-interactive auth), write limits per account and per address, and
//! the refusal of guest registration. Requests carry a client address the way the listener
//! supplies it, so that several clients can be told apart.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use rempart_types::config::{Config, RegistrationMode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, assert_error};

const ATTACKER: &str = "203.0.113.66";
const HOME: &str = "192.0.2.10";
const ELSEWHERE: &str = "198.51.100.20";

/// Login protection on, with `free` failures per account and `free_ip` per address, and the
/// given first back-off (which the tests wait out when it is short).
fn protected(config: &mut Config, free: u32, free_ip: u32, initial_backoff_ms: u64) {
    let protection = &mut config.login_protection;
    protection.enabled = true;
    protection.free_failures_per_account = free;
    protection.free_failures_per_ip = free_ip;
    protection.initial_backoff_ms = initial_backoff_ms;
    protection.max_backoff_ms = initial_backoff_ms * 8;
}

/// A JSON request from the client address `ip`.
async fn request_from(
    app: &TestApp,
    ip: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let address = SocketAddr::new(ip.parse().expect("ip"), 41_000);
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .extension(ConnectInfo(address));
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let request = builder.body(axum::body::Body::from(serde_json::to_vec(&body).expect("json"))).expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn login(app: &TestApp, ip: &str, user: &str, password: &str) -> (StatusCode, Value) {
    let body = json!({
        "type": "m.login.password",
        "identifier": { "type": "m.id.user", "user": user },
        "password": password,
    });
    request_from(app, ip, Method::POST, "/_matrix/client/v3/login", None, body).await
}

/// The wait a refused login was told to observe.
fn retry_after(result: &(StatusCode, Value)) -> u64 {
    assert_error(result, StatusCode::TOO_MANY_REQUESTS, "M_LIMIT_EXCEEDED");
    result.1["retry_after_ms"].as_u64().expect("retry_after_ms")
}

/// Logs in, waiting out every back-off the server announces.
async fn login_after_back_off(app: &TestApp, ip: &str, user: &str, password: &str) -> (StatusCode, Value) {
    for _ in 0..100 {
        let result = login(app, ip, user, password).await;
        if result.0 != StatusCode::TOO_MANY_REQUESTS {
            return result;
        }
        tokio::time::sleep(std::time::Duration::from_millis(retry_after(&result))).await;
    }
    panic!("{user} was never let in");
}

#[tokio::test]
async fn failed_logins_back_off_the_account_with_growing_waits_then_let_the_owner_in() {
    let app = TestApp::with_config(|c| protected(c, 3, 1_000, 40)).await;
    app.register("alice").await;
    for _ in 0..3 {
        assert_error(&login(&app, HOME, "alice", "wrong").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    }
    // Backed off: even the right password is refused, before it is checked.
    let first = retry_after(&login(&app, HOME, "alice", "password-alice").await);
    assert!((1..=40).contains(&first), "first back-off {first} ms");
    // Each failure after a back-off doubles the next one (the exact sequence is unit-tested
    // with a pinned clock; here only its bounds, which hold however slow the machine is).
    for bound in [80, 160, 320, 320] {
        assert_error(&login_after_back_off(&app, HOME, "alice", "wrong").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
        let wait = retry_after(&login(&app, HOME, "alice", "password-alice").await);
        assert!((1..=bound).contains(&wait), "back-off {wait} ms, expected at most {bound}");
    }
    let (status, body) = login_after_back_off(&app, HOME, "alice", "password-alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn unknown_accounts_back_off_exactly_like_real_ones() {
    let app = TestApp::with_config(|c| protected(c, 2, 1_000, 60_000)).await;
    app.register("alice").await;
    for user in ["alice", "nobody"] {
        let outcomes: Vec<(StatusCode, Value)> = [
            login(&app, HOME, user, "wrong").await,
            login(&app, HOME, user, "wrong").await,
            login(&app, HOME, user, "wrong").await,
        ]
        .into_iter()
        .map(|(status, body)| (status, body["errcode"].clone()))
        .collect();
        assert_eq!(
            outcomes,
            [
                (StatusCode::FORBIDDEN, json!("M_FORBIDDEN")),
                (StatusCode::FORBIDDEN, json!("M_FORBIDDEN")),
                (StatusCode::TOO_MANY_REQUESTS, json!("M_LIMIT_EXCEEDED")),
            ],
            "{user}"
        );
    }
}

#[tokio::test]
async fn an_attack_on_one_account_locks_out_neither_its_owner_nor_other_users() {
    let app = TestApp::with_config(|c| protected(c, 3, 1_000, 60_000)).await;
    app.register("alice").await;
    app.register("bob").await;
    for _ in 0..3 {
        login(&app, ATTACKER, "alice", "guess").await;
    }
    retry_after(&login(&app, ATTACKER, "alice", "guess").await);
    // The owner, from her own address, logs in at once.
    let (status, body) = login(&app, HOME, "alice", "password-alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Another user logs in, from anywhere, even behind the attacker's address.
    for ip in [ELSEWHERE, ATTACKER] {
        let (status, body) = login(&app, ip, "bob", "password-bob").await;
        assert_eq!(status, StatusCode::OK, "bob from {ip}: {body}");
    }
    // The owner's success did not clear the attacker's back-off.
    retry_after(&login(&app, ATTACKER, "alice", "password-alice").await);
}

#[tokio::test]
async fn failures_from_one_address_back_off_that_address_across_accounts() {
    let app = TestApp::with_config(|c| protected(c, 100, 4, 60_000)).await;
    app.register("alice").await;
    for user in ["u1", "u2", "alice", "u3"] {
        assert_error(&login(&app, ATTACKER, user, "guess").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    }
    let wait = retry_after(&login(&app, ATTACKER, "alice", "password-alice").await);
    assert!((1..=60_000).contains(&wait));
    retry_after(&login(&app, ATTACKER, "u9", "guess").await);
    let (status, body) = login(&app, HOME, "alice", "password-alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_successful_login_clears_the_accounts_failures() {
    let app = TestApp::with_config(|c| protected(c, 3, 1_000, 60_000)).await;
    app.register("alice").await;
    for _ in 0..2 {
        login(&app, HOME, "alice", "typo").await;
    }
    assert_eq!(login(&app, HOME, "alice", "password-alice").await.0, StatusCode::OK);
    for _ in 0..2 {
        assert_error(&login(&app, HOME, "alice", "typo").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    }
    assert_eq!(login(&app, HOME, "alice", "password-alice").await.0, StatusCode::OK);
}

#[tokio::test]
async fn protection_stays_on_with_the_general_rate_limits_off() {
    let app = TestApp::with_config(|c| {
        c.login_protection = Default::default();
        c.rate_limits.enabled = false;
    })
    .await;
    for _ in 0..5 {
        login(&app, ATTACKER, "alice", "guess").await;
    }
    retry_after(&login(&app, ATTACKER, "alice", "guess").await);
}

#[tokio::test]
async fn password_guesses_through_user_interactive_auth_are_limited_too() {
    let app = TestApp::with_config(|c| protected(c, 2, 1_000, 60_000)).await;
    let (user_id, token) = app.register("alice").await;
    let change = |password: &str| {
        json!({
            "new_password": "a-new-password",
            "auth": { "type": "m.login.password", "identifier": { "type": "m.id.user", "user": user_id }, "password": password },
        })
    };
    let path = "/_matrix/client/v3/account/password";
    for _ in 0..2 {
        let (status, body) = request_from(&app, HOME, Method::POST, path, Some(&token), change("guess")).await;
        assert_eq!((status, &body["errcode"]), (StatusCode::UNAUTHORIZED, &json!("M_FORBIDDEN")), "{body}");
    }
    retry_after(&request_from(&app, HOME, Method::POST, path, Some(&token), change("password-alice")).await);
    // Logins are a different source: the owner can still log in.
    assert_eq!(login(&app, HOME, "alice", "password-alice").await.0, StatusCode::OK);
}

async fn create_room(app: &TestApp, ip: &str, token: &str) -> (StatusCode, Value) {
    request_from(app, ip, Method::POST, "/_matrix/client/v3/createRoom", Some(token), json!({})).await
}

#[tokio::test]
async fn writes_are_limited_per_account_and_per_address() {
    let app = TestApp::with_config(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.per_second = 0.001;
        c.rate_limits.burst = 4;
        c.rate_limits.address_per_second = 0.001;
        c.rate_limits.address_burst = 4;
    })
    .await;
    let mut tokens = Vec::new();
    for name in ["u1", "u2", "u3"] {
        app.services.accounts.create_user(name, Some("pw"), false).expect("user");
        let user_id = app.services.accounts.user_id_for_localpart(name).expect("user id");
        tokens.push(app.services.accounts.issue_session(&user_id, None, None, None).expect("session").access_token);
    }
    // Two accounts behind one address use up the address's burst of four...
    for token in [&tokens[0], &tokens[0], &tokens[1], &tokens[1]] {
        let (status, body) = create_room(&app, ATTACKER, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // ...so a third account there is refused though it has not written yet,
    retry_after(&create_room(&app, ATTACKER, &tokens[2]).await);
    // while it writes freely from elsewhere.
    assert_eq!(create_room(&app, HOME, &tokens[2]).await.0, StatusCode::OK);
    // An account cannot escape its own limit by changing address either.
    for ip in [HOME, ELSEWHERE] {
        assert_eq!(create_room(&app, ip, &tokens[1]).await.0, StatusCode::OK);
    }
    retry_after(&create_room(&app, ELSEWHERE, &tokens[1]).await);
}

#[tokio::test]
async fn guest_registration_is_refused_in_every_registration_mode() {
    for mode in [RegistrationMode::Open, RegistrationMode::Token, RegistrationMode::Disabled] {
        let app = TestApp::with_config(|c| c.registration.mode = mode).await;
        let result =
            request_from(&app, HOME, Method::POST, "/_matrix/client/v3/register?kind=guest", None, json!({})).await;
        assert_error(&result, StatusCode::FORBIDDEN, "M_FORBIDDEN");
        assert_eq!(result.1["error"], "guest access is disabled on this server");
    }
}
