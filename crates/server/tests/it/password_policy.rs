//! The password policy at the HTTP level: enforced on registration, password change, operator
//! resets and `rempart create-user`, with a message naming what is missing, and published at
//! `/password_policy` (MSC2000) without a token.

use http::{Method, StatusCode};
use rempart_types::config::{Config, PasswordPolicyConfig};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};

/// Twelve characters with every class required.
fn strict(config: &mut Config) {
    config.password_policy = PasswordPolicyConfig {
        min_length: 12,
        require_digit: true,
        require_symbol: true,
        require_lowercase: true,
        require_uppercase: true,
    };
}

/// Passwords breaking the strict policy, with the message each must get.
const WEAK: &[(&str, &str)] = &[
    ("Sh0rt!", "the password must be at least 12 characters long"),
    (
        "short",
        "the password must be at least 12 characters long and contain a digit, a symbol and an upper-case letter",
    ),
    ("Long-enough-password", "the password must contain a digit"),
    ("Long3nough3password", "the password must contain a symbol"),
    ("LONG-ENOUGH-PASSW0RD", "the password must contain a lower-case letter"),
    ("long-enough-passw0rd", "the password must contain an upper-case letter"),
];
const STRONG: &str = "Correct-h0rse-battery";

fn assert_weak(result: &(StatusCode, Value), message: &str) {
    assert_error(result, StatusCode::BAD_REQUEST, "M_WEAK_PASSWORD");
    assert_eq!(result.1["error"], message);
}

async fn register(app: &TestApp, name: &str, password: &str) -> (StatusCode, Value) {
    let body = json!({ "username": name, "password": password, "auth": { "type": "m.login.dummy" } });
    app.request(Method::POST, "/_matrix/client/v3/register", None, Some(body)).await
}

async fn login(app: &TestApp, name: &str, password: &str) -> StatusCode {
    let body = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": name }, "password": password });
    app.request(Method::POST, "/_matrix/client/v3/login", None, Some(body)).await.0
}

#[tokio::test]
async fn registration_names_what_the_password_lacks() {
    let app = TestApp::with_config(strict).await;
    for (password, message) in WEAK {
        assert_weak(&register(&app, "alice", password).await, message);
    }
    // Refused before user-interactive auth starts, so a client learns it at once.
    let body = json!({ "username": "alice", "password": "short" });
    let result = app.request(Method::POST, "/_matrix/client/v3/register", None, Some(body)).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_WEAK_PASSWORD");
    assert!(app.services.accounts.is_available("alice").unwrap(), "nothing was created");
    let (status, body) = register(&app, "alice", STRONG).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_default_policy_asks_for_twelve_characters() {
    let app = TestApp::with_config(|c| c.password_policy = PasswordPolicyConfig::default()).await;
    assert_weak(&register(&app, "alice", "elevenchars").await, "the password must be at least 12 characters long");
    assert_eq!(register(&app, "alice", "twelve chars").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_is_checked_before_authentication() {
    let app = TestApp::with_config(strict).await;
    let (status, body) = register(&app, "alice", STRONG).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let path = "/_matrix/client/v3/account/password";
    let auth = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": STRONG });
    for (password, message) in WEAK {
        // Weak passwords are refused even without authentication: no password prompt is wasted.
        let without_auth = json!({ "new_password": password });
        assert_weak(&app.request(Method::POST, path, Some(&token), Some(without_auth)).await, message);
        let with_auth = json!({ "new_password": password, "auth": auth });
        assert_weak(&app.request(Method::POST, path, Some(&token), Some(with_auth)).await, message);
    }
    assert_eq!(login(&app, "alice", STRONG).await, StatusCode::OK, "the password is unchanged");
    let new_password = "An0ther-good-password";
    let body = json!({ "new_password": new_password, "auth": auth, "logout_devices": false });
    let (status, body) = app.request(Method::POST, path, Some(&token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(login(&app, "alice", new_password).await, StatusCode::OK);
}

#[tokio::test]
async fn operator_resets_and_account_creation_are_checked() {
    let app = TestApp::with_config(strict).await;
    app.services.accounts.create_user("root", Some(STRONG), true).expect("admin");
    let admin_login = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "root" }, "password": STRONG });
    let (_, body) = app.request(Method::POST, "/_matrix/client/v3/login", None, Some(admin_login)).await;
    let admin = body["access_token"].as_str().expect("admin token").to_owned();
    register(&app, "alice", STRONG).await;

    let path = "/_synapse/admin/v1/reset_password/@alice:localhost";
    for (password, message) in WEAK {
        let body = json!({ "new_password": password });
        assert_weak(&app.request(Method::POST, path, Some(&admin), Some(body)).await, message);
    }
    assert_eq!(login(&app, "alice", STRONG).await, StatusCode::OK, "the password is unchanged");
    let (status, body) =
        app.request(Method::POST, path, Some(&admin), Some(json!({ "new_password": "Reset-by-0perator" }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(login(&app, "alice", "Reset-by-0perator").await, StatusCode::OK);

    // Accounts created by operators (the CLI, the admin API) go through the same check.
    match app.services.accounts.create_user("bob", Some("short"), false) {
        Err(rempart_core::CoreError::WeakPassword(message)) => assert_eq!(message, WEAK[1].1),
        other => panic!("expected a weak password, got {other:?}"),
    }
    assert!(app.services.accounts.is_available("bob").unwrap());
}

#[test]
fn the_command_line_refuses_a_weak_password() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rempart.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n[password_hashing]\nmemory_kib = 64\niterations = 1\n", dir.path().join("data")),
    )
    .unwrap();
    let password = dir.path().join("pw");
    std::fs::write(&password, "too-short\n").unwrap();
    let output = crate::support::rempart_command()
        .args(["create-user", "root", "--admin", "--password-file"])
        .arg(&password)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the password must be at least 12 characters long"), "{stderr}");
}

#[tokio::test]
async fn the_policy_is_published_without_a_token() {
    let app = TestApp::with_config(|c| {
        c.password_policy = PasswordPolicyConfig { require_digit: true, require_uppercase: true, ..Default::default() };
    })
    .await;
    let expected = json!({
        "m.minimum_length": 12,
        "m.require_digit": true,
        "m.require_symbol": false,
        "m.require_lowercase": false,
        "m.require_uppercase": true,
    });
    for path in [
        "/_matrix/client/v3/password_policy",
        "/_matrix/client/r0/password_policy",
        "/_matrix/client/unstable/password_policy",
        "/_matrix/client/unstable/org.matrix.msc2000/password_policy",
    ] {
        let (status, body) = app.request(Method::GET, path, None, None).await;
        assert_eq!((status, &body), (StatusCode::OK, &expected), "{path}");
    }
    // A stale token does not get in the way of a public endpoint.
    let (status, body) =
        app.request(Method::GET, "/_matrix/client/v3/password_policy", Some("stale-token"), None).await;
    assert_eq!((status, &body), (StatusCode::OK, &expected));
}
