//! The media repository over HTTP: who may read a file (access.rs), uploads and their limits
//! (uploads.rs), and the operators' tools (admin.rs).

mod access;
mod admin;
mod uploads;

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::TestApp;

/// A shard whose private rooms are plaintext unless a test turns encryption on, so that the
/// server can see the references in events.
pub async fn plaintext_app() -> TestApp {
    TestApp::with_config(|config| config.encryption.encrypt_private_rooms = false).await
}

/// A response with its headers and raw bytes.
pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// Asserts a Matrix error.
    pub fn assert_error(&self, status: StatusCode, errcode: &str) {
        assert_eq!(self.status, status, "body: {}", String::from_utf8_lossy(&self.bytes));
        assert_eq!(self.json()["errcode"], errcode, "body: {}", String::from_utf8_lossy(&self.bytes));
    }
}

/// Any request, returning raw bytes and headers.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Raw {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    let response = app
        .router
        .clone()
        .oneshot(builder.body(axum::body::Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    Raw { status, headers, bytes }
}

/// Uploads bytes and returns the `mxc://` URI.
pub async fn upload(app: &TestApp, token: &str, bytes: &[u8], content_type: &str) -> String {
    let response = send(
        app,
        Method::POST,
        "/_matrix/media/v3/upload?filename=file.bin",
        Some(token),
        Some(content_type),
        bytes.to_vec(),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "upload: {}", String::from_utf8_lossy(&response.bytes));
    response.json()["content_uri"].as_str().expect("content_uri").to_owned()
}

/// The path part of a URI: `server/id`.
pub fn server_and_id(uri: &str) -> &str {
    uri.strip_prefix("mxc://").expect("mxc uri")
}

/// Downloads through the authenticated endpoint.
pub async fn download(app: &TestApp, token: Option<&str>, uri: &str) -> Raw {
    let path = format!("/_matrix/client/v1/media/download/{}?timeout_ms=0", server_and_id(uri));
    send(app, Method::GET, &path, token, None, Vec::new()).await
}

/// Requests a thumbnail.
pub async fn thumbnail(app: &TestApp, token: &str, uri: &str, size: (u32, u32), method: &str) -> Raw {
    let (w, h) = size;
    let path =
        format!("/_matrix/client/v1/media/thumbnail/{}?width={w}&height={h}&method={method}", server_and_id(uri));
    send(app, Method::GET, &path, Some(token), None, Vec::new()).await
}

/// Sends an `m.image` event referencing `uri` and returns its event id.
pub async fn post_image(app: &TestApp, token: &str, room_id: &str, uri: &str) -> String {
    send_event(app, token, room_id, "", json!({ "msgtype": "m.image", "body": "cat.png", "url": uri })).await
}

/// Sends a message event (with an optional query string) and returns its event id.
pub async fn send_event(app: &TestApp, token: &str, room_id: &str, query: &str, content: Value) -> String {
    let txn = format!("media-{}", rand_suffix());
    let path = format!("/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{txn}{query}");
    let (status, body) = app.request(Method::PUT, &path, Some(token), Some(content)).await;
    assert_eq!(status, StatusCode::OK, "send: {body}");
    body["event_id"].as_str().expect("event_id").to_owned()
}

fn rand_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Alice and Bob, both joined to a public (unencrypted) room Alice created: their tokens and
/// the room id.
pub async fn alice_and_bob_in_a_room(app: &TestApp) -> (String, String, String) {
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(app, &bob, &room).await;
    (alice, bob, room)
}

/// Joins a room.
pub async fn join(app: &TestApp, token: &str, room_id: &str) {
    let (status, body) =
        app.request(Method::POST, &format!("/_matrix/client/v3/join/{room_id}"), Some(token), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "join: {body}");
}

/// Leaves a room.
pub async fn leave(app: &TestApp, token: &str, room_id: &str) {
    let (status, body) = app
        .request(Method::POST, &format!("/_matrix/client/v3/rooms/{room_id}/leave"), Some(token), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "leave: {body}");
}

/// Every file under a directory, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { found.extend(files_under(&path)) } else { found.push(path) }
    }
    found
}

/// A small valid PNG image.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode png");
    bytes.into_inner()
}
