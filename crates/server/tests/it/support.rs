//! Test support: a shard served in-process over a temporary SQLite database, with helpers to
//! register users and make JSON requests.

use std::sync::Arc;

use axum::Router;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use rempart_core::Services;
use rempart_types::config::Config;
use serde_json::{Value, json};
use tower::ServiceExt;

/// An in-process shard.
pub struct TestApp {
    pub router: Router,
    pub services: Arc<Services>,
    _dir: tempfile::TempDir,
}

/// The configuration tests run with: open registration, cheap password hashing, no limits.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::from_toml(
        r#"
        [registration]
        mode = "open"
        [rate_limits]
        enabled = false
        [password_hashing]
        memory_kib = 64
        iterations = 1
        [password_policy]
        min_length = 1
        [login_protection]
        enabled = false
        [notices]
        new_login = false
        "#,
    )
    .expect("test config");
    config.data_dir = dir.to_owned();
    config
}

impl TestApp {
    /// A fresh shard with an empty database.
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    /// A fresh shard whose configuration `adjust` may change.
    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::with_audit(Arc::new(rempart_core::audit::LogAudit), adjust).await
    }

    /// A fresh shard reporting to `audit`.
    pub async fn with_audit(audit: Arc<dyn rempart_core::audit::AuditSink>, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        adjust(&mut config);
        let services = rempart_server::build_services_with_audit(config, audit).expect("services");
        let router = rempart_server::app(Arc::clone(&services));
        Self { router, services, _dir: dir }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let bytes = body.map(|b| serde_json::to_vec(&b).expect("json")).unwrap_or_default();
        self.raw_request(method, path, token, bytes, "application/json").await
    }

    /// Sends raw bytes.
    pub async fn raw_request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path).header("content-type", content_type);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let response = self
            .router
            .clone()
            .oneshot(builder.body(axum::body::Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, value)
    }

    /// Registers `localpart` with password `password-<localpart>` and returns its user id and
    /// access token.
    pub async fn register(&self, localpart: &str) -> (String, String) {
        let (status, body) = self
            .request(
                Method::POST,
                "/_matrix/client/v3/register",
                None,
                Some(json!({ "username": localpart, "password": format!("password-{localpart}"), "auth": { "type": "m.login.dummy" } })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "register {localpart}: {body}");
        (
            body["user_id"].as_str().expect("user_id").to_owned(),
            body["access_token"].as_str().expect("token").to_owned(),
        )
    }

    /// Creates a room with the given createRoom body and returns its id.
    pub async fn create_room(&self, token: &str, body: Value) -> String {
        let (status, response) =
            self.request(Method::POST, "/_matrix/client/v3/createRoom", Some(token), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "createRoom: {response}");
        response["room_id"].as_str().expect("room_id").to_owned()
    }
}

/// Asserts a Matrix error response.
pub fn assert_error(result: &(StatusCode, Value), status: StatusCode, errcode: &str) {
    assert_eq!(result.0, status, "unexpected status, body: {}", result.1);
    assert_eq!(result.1["errcode"], errcode, "unexpected errcode, body: {}", result.1);
}

/// Percent-encodes a query or path component.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Transaction ids for sends, unique within the test binary.
static NEXT_TXN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sends a text message and returns its event id.
pub async fn send_text(app: &TestApp, token: &str, room_id: &str, body: &str) -> String {
    let txn = NEXT_TXN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = format!("/_matrix/client/v3/rooms/{room_id}/send/m.room.message/txn-{txn}");
    let (status, response) =
        app.request(Method::PUT, &path, Some(token), Some(json!({ "msgtype": "m.text", "body": body }))).await;
    assert_eq!(status, StatusCode::OK, "send: {response}");
    response["event_id"].as_str().expect("event_id").to_owned()
}

/// A command for the real binary with the caller's `REMPART_*` variables removed, so that only
/// what a test sets configures the server.
pub fn rempart_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rempart"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().to_ascii_uppercase().starts_with("REMPART_") {
            command.env_remove(key);
        }
    }
    command
}

/// Logs in with a password; the raw answer.
pub async fn login(app: &TestApp, user: &str, password: &str) -> (StatusCode, Value) {
    let body = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": user }, "password": password });
    app.request(Method::POST, "/_matrix/client/v3/login", None, Some(body)).await
}

/// Creates the server admin `@root:localhost` and returns its access token.
pub async fn admin_token(app: &TestApp) -> String {
    app.services.accounts.create_user("root", Some("root-password"), true).expect("admin");
    let (status, body) = login(app, "root", "root-password").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

/// A request that must succeed; its body.
pub async fn ok(app: &TestApp, method: Method, path: impl AsRef<str>, token: &str, body: Option<Value>) -> Value {
    let path = path.as_ref();
    let (status, response) = app.request(method.clone(), path, Some(token), body).await;
    assert_eq!(status, StatusCode::OK, "{method} {path}: {response}");
    response
}
