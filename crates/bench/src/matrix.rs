//! The few client-server API calls the scenarios make, over one shared HTTP connection pool.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{BenchError, Result};

/// How users are created.
#[derive(Debug, Clone)]
pub enum Registration {
    /// `POST /_matrix/client/v3/register` with the `m.login.dummy` flow (open registration).
    Dummy,
    /// Synapse's shared-secret admin registration, with this secret.
    SharedSecret(String),
}

/// A registered user and the access token its session got.
#[derive(Debug, Clone)]
pub struct User {
    /// Full Matrix user ID.
    pub user_id: String,
    /// Bearer token for the user's device.
    pub access_token: String,
}

/// A homeserver reached through its client-server API.
#[derive(Debug, Clone)]
pub struct Server {
    http: reqwest::Client,
    /// The base URL without a trailing slash, so paths can be appended as they are.
    base: String,
}

#[derive(Deserialize)]
struct MatrixError {
    errcode: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct RegisterResponse {
    user_id: String,
    access_token: Option<String>,
}

/// The parts of a `/sync` response the scenarios read; everything else is skipped.
#[derive(Debug, Deserialize)]
pub struct SyncResponse {
    /// The `since` of the next sync.
    pub next_batch: String,
    /// Rooms with news.
    #[serde(default)]
    pub rooms: SyncRooms,
}

/// `rooms` of a sync response.
#[derive(Debug, Default, Deserialize)]
pub struct SyncRooms {
    /// Joined rooms, by room ID.
    #[serde(default)]
    pub join: HashMap<String, JoinedRoom>,
}

/// One joined room of a sync response.
#[derive(Debug, Default, Deserialize)]
pub struct JoinedRoom {
    /// Its new timeline events.
    #[serde(default)]
    pub timeline: Timeline,
}

/// A room's timeline in a sync response.
#[derive(Debug, Default, Deserialize)]
pub struct Timeline {
    /// The events, oldest first.
    #[serde(default)]
    pub events: Vec<Value>,
    /// Whether events between `since` and these were left out.
    #[serde(default)]
    pub limited: bool,
}

/// One `/messages` page.
#[derive(Debug, Deserialize)]
pub struct MessagesPage {
    /// The events.
    pub chunk: Vec<Value>,
    /// Where the next page starts; absent at the end of the room's history.
    pub end: Option<String>,
}

/// The query of a `/sync`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncQuery<'a> {
    /// Token of the previous sync; `None` for an initial sync.
    pub since: Option<&'a str>,
    /// How long the server may wait for news, in milliseconds.
    pub timeout_ms: u64,
    /// An inline filter definition (JSON), or none for the server's default.
    pub filter: Option<&'a str>,
}

impl Server {
    /// A client for the server at `base`; no request takes longer than `timeout`.
    pub fn new(base: &Url, timeout: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            // The target is on loopback; an HTTP_PROXY in the environment must not reroute it.
            .no_proxy()
            .tcp_nodelay(true)
            .timeout(timeout)
            .user_agent(concat!("rempart-bench/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base: base.as_str().trim_end_matches('/').to_owned() })
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET /_matrix/client/versions`: the server's advertised spec versions.
    pub async fn versions(&self) -> Result<Value> {
        let path = "/_matrix/client/versions";
        let response = self.request(Method::GET, path, None).send().await?;
        Ok(expect_success(response, "GET", path).await?.json().await?)
    }

    /// Creates `username` with `password` and returns its session.
    pub async fn register(&self, how: &Registration, username: &str, password: &str) -> Result<User> {
        match how {
            Registration::Dummy => self.register_dummy(username, password).await,
            Registration::SharedSecret(secret) => self.register_shared_secret(secret, username, password).await,
        }
    }

    async fn register_dummy(&self, username: &str, password: &str) -> Result<User> {
        let path = "/_matrix/client/v3/register";
        let mut body = json!({
            "username": username,
            "password": password,
            "initial_device_display_name": "rempart-bench",
        });
        // User-interactive auth: the first request, without `auth`, is answered 401 with a
        // session id; the second completes the dummy stage of that session.
        let first = self.request(Method::POST, path, None).json(&body).send().await?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return user_from(expect_success(first, "POST", path).await?).await;
        }
        let challenge: Value = first.json().await?;
        let session = challenge
            .get("session")
            .and_then(Value::as_str)
            .ok_or_else(|| BenchError::Unexpected(format!("401 from register without a session: {challenge}")))?;
        body["auth"] = json!({ "type": "m.login.dummy", "session": session });
        let second = self.request(Method::POST, path, None).json(&body).send().await?;
        user_from(expect_success(second, "POST", path).await?).await
    }

    async fn register_shared_secret(&self, secret: &str, username: &str, password: &str) -> Result<User> {
        let path = "/_synapse/admin/v1/register";
        let response = self.request(Method::GET, path, None).send().await?;
        let nonce: Value = expect_success(response, "GET", path).await?.json().await?;
        let nonce = nonce
            .get("nonce")
            .and_then(Value::as_str)
            .ok_or_else(|| BenchError::Unexpected(format!("no nonce in {nonce}")))?;
        let body = json!({
            "nonce": nonce,
            "username": username,
            "password": password,
            "admin": false,
            "mac": registration_mac(secret, nonce, username, password, false),
        });
        let response = self.request(Method::POST, path, None).json(&body).send().await?;
        user_from(expect_success(response, "POST", path).await?).await
    }

    /// `POST /_matrix/client/v3/login` with a password: a new session (device) of `user_id`.
    pub async fn login(&self, user_id: &str, password: &str) -> Result<User> {
        let path = "/_matrix/client/v3/login";
        let body = json!({
            "type": "m.login.password",
            "identifier": { "type": "m.id.user", "user": user_id },
            "password": password,
            "initial_device_display_name": "rempart-bench",
        });
        let response = self.request(Method::POST, path, None).json(&body).send().await?;
        user_from(expect_success(response, "POST", path).await?).await
    }

    /// `POST /_matrix/client/v3/createRoom` with the `public_chat` preset: anyone may join
    /// without an invite, and no server turns encryption on for it.
    pub async fn create_public_room(&self, user: &User, name: &str) -> Result<String> {
        let path = "/_matrix/client/v3/createRoom";
        let body = json!({ "preset": "public_chat", "name": name });
        let response = self.request(Method::POST, path, Some(&user.access_token)).json(&body).send().await?;
        let body: Value = expect_success(response, "POST", path).await?.json().await?;
        body.get("room_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| BenchError::Unexpected(format!("no room_id in {body}")))
    }

    /// `POST /_matrix/client/v3/join/{roomIdOrAlias}`.
    pub async fn join(&self, user: &User, room_id: &str) -> Result<()> {
        let path = format!("/_matrix/client/v3/join/{}", path_segment(room_id));
        let response = self.request(Method::POST, &path, Some(&user.access_token)).json(&json!({})).send().await?;
        expect_success(response, "POST", "/_matrix/client/v3/join/{roomId}").await?;
        Ok(())
    }

    /// `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}` with a plain-text
    /// body; returns the event ID.
    pub async fn send_text(&self, user: &User, room_id: &str, txn_id: &str, text: &str) -> Result<String> {
        let path =
            format!("/_matrix/client/v3/rooms/{}/send/m.room.message/{}", path_segment(room_id), path_segment(txn_id));
        let body = json!({ "msgtype": "m.text", "body": text });
        let response = self.request(Method::PUT, &path, Some(&user.access_token)).json(&body).send().await?;
        // Errors are grouped by the path's template, not by room and transaction.
        let template = "/_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}";
        let body: Value = expect_success(response, "PUT", template).await?.json().await?;
        body.get("event_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| BenchError::Unexpected(format!("no event_id in {body}")))
    }

    /// `GET /_matrix/client/v3/sync`: the raw response body, so callers can measure its size
    /// and parse only what they need.
    pub async fn sync(&self, user: &User, query: SyncQuery<'_>) -> Result<Bytes> {
        let path = "/_matrix/client/v3/sync";
        let mut url = self.url(path)?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(since) = query.since {
                pairs.append_pair("since", since);
            }
            pairs.append_pair("timeout", &query.timeout_ms.to_string());
            if let Some(filter) = query.filter {
                pairs.append_pair("filter", filter);
            }
        }
        let response = self.http.get(url).bearer_auth(&user.access_token).send().await?;
        Ok(expect_success(response, "GET", path).await?.bytes().await?)
    }

    /// `GET /_matrix/client/v3/rooms/{roomId}/messages`, backwards from `from` (from the end of
    /// the room when `None`).
    pub async fn messages_backwards(
        &self,
        user: &User,
        room_id: &str,
        from: Option<&str>,
        limit: usize,
    ) -> Result<MessagesPage> {
        let mut url = self.url(&format!("/_matrix/client/v3/rooms/{}/messages", path_segment(room_id)))?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("dir", "b");
            pairs.append_pair("limit", &limit.to_string());
            if let Some(from) = from {
                pairs.append_pair("from", from);
            }
        }
        let response = self.http.get(url).bearer_auth(&user.access_token).send().await?;
        let template = "/_matrix/client/v3/rooms/{roomId}/messages";
        Ok(expect_success(response, "GET", template).await?.json().await?)
    }

    fn url(&self, path: &str) -> Result<Url> {
        Url::parse(&format!("{}{path}", self.base)).map_err(|e| BenchError::Target(format!("{}{path}: {e}", self.base)))
    }

    /// `POST /_matrix/media/v3/upload`: stores `content` and returns its `mxc://` URI.
    pub async fn upload(&self, user: &User, content: Bytes) -> Result<String> {
        let path = "/_matrix/media/v3/upload";
        let response = self
            .request(Method::POST, &format!("{path}?filename=bench.bin"), Some(&user.access_token))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(content)
            .send()
            .await?;
        let body: Value = expect_success(response, "POST", path).await?.json().await?;
        body.get("content_uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| BenchError::Unexpected(format!("no content_uri in {body}")))
    }

    /// `GET /_matrix/client/v1/media/download/{server}/{mediaId}` (authenticated media).
    pub async fn download(&self, user: &User, mxc: &str) -> Result<Bytes> {
        let (server, media_id) = split_mxc(mxc)?;
        let path = format!("/_matrix/client/v1/media/download/{server}/{media_id}");
        let response = self.request(Method::GET, &path, Some(&user.access_token)).send().await?;
        Ok(expect_success(response, "GET", &path).await?.bytes().await?)
    }
}

/// Turns an error status into `BenchError::Status`, keeping the Matrix errcode when there is one.
async fn expect_success(response: Response, method: &'static str, path: &str) -> Result<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let (errcode, message) = match serde_json::from_str::<MatrixError>(&text) {
        Ok(MatrixError { errcode, error }) => (errcode.unwrap_or_else(|| "-".into()), error.unwrap_or_default()),
        Err(_) => ("-".into(), text.chars().take(200).collect()),
    };
    Err(BenchError::Status { method, path: path.to_owned(), status: status.as_u16(), errcode, message })
}

async fn user_from(response: Response) -> Result<User> {
    let body: RegisterResponse = response.json().await?;
    let access_token =
        body.access_token.ok_or_else(|| BenchError::Unexpected(format!("no access_token for {}", body.user_id)))?;
    Ok(User { user_id: body.user_id, access_token })
}

/// Percent-encodes one path segment: room IDs carry `!` and `:`, and nothing a server sends
/// back may change the path's shape.
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Splits `mxc://server/media_id`, refusing anything that would need escaping in a path:
/// server names and media IDs are plain by the spec's grammar.
pub fn split_mxc(mxc: &str) -> Result<(&str, &str)> {
    let bad = || BenchError::Unexpected(format!("malformed content URI {mxc:?}"));
    let (server, media_id) = mxc.strip_prefix("mxc://").ok_or_else(bad)?.split_once('/').ok_or_else(bad)?;
    let plain = |s: &str, extra: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c) || extra.contains(c))
    };
    if !plain(server, ".:[]") || !plain(media_id, "") {
        return Err(bad());
    }
    Ok((server, media_id))
}

/// The MAC of Synapse's shared-secret registration: hex HMAC-SHA1, keyed with the shared
/// secret, over `nonce NUL username NUL password NUL (admin|notadmin)`.
pub fn registration_mac(secret: &str, nonce: &str, username: &str, password: &str, admin: bool) -> String {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    for (i, part) in [nonce, username, password].into_iter().enumerate() {
        if i > 0 {
            mac.update(b"\0");
        }
        mac.update(part.as_bytes());
    }
    mac.update(if admin { b"\0admin" } else { b"\0notadmin" });
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_mac_matches_synapse() {
        // Computed independently with Python's hmac module, as Synapse's docs describe:
        // hmac.new(b"s3cret", b"abcd\0alice\0pa55\0notadmin", hashlib.sha1).hexdigest()
        assert_eq!(
            registration_mac("s3cret", "abcd", "alice", "pa55", false),
            "51f21e80913fa06530c2d818163b870167bc3cc7"
        );
        assert_eq!(
            registration_mac("s3cret", "abcd", "alice", "pa55", true),
            "9892a948c7a6f3d38cb51772477334e71c8ab211"
        );
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(path_segment("!abc:localhost"), "%21abc%3Alocalhost");
        assert_eq!(path_segment("t-1.2_x~"), "t-1.2_x~");
        assert_eq!(path_segment("a/b?c#d é"), "a%2Fb%3Fc%23d%20%C3%A9");
    }

    #[test]
    fn sync_responses_parse_with_or_without_rooms() {
        let quiet: SyncResponse = serde_json::from_str(r#"{"next_batch":"s1","presence":{}}"#).unwrap();
        assert_eq!(quiet.next_batch, "s1");
        assert!(quiet.rooms.join.is_empty());
        let busy: SyncResponse = serde_json::from_str(
            r#"{"next_batch":"s2","rooms":{"join":{"!r:x":{"timeline":{"events":[{"type":"m.room.message"}],
                "limited":true}}},"leave":{}}}"#,
        )
        .unwrap();
        let room = &busy.rooms.join["!r:x"];
        assert_eq!(room.timeline.events.len(), 1);
        assert!(room.timeline.limited);
    }

    #[test]
    fn mxc_uris_are_split_and_checked() {
        assert_eq!(split_mxc("mxc://localhost:8448/AbC_12-x").unwrap(), ("localhost:8448", "AbC_12-x"));
        assert_eq!(split_mxc("mxc://[::1]/x").unwrap(), ("[::1]", "x"));
        for bad in ["http://a/b", "mxc://a", "mxc:///b", "mxc://a/", "mxc://a/b/c", "mxc://a/b?c", "mxc://a b/c"] {
            assert!(split_mxc(bad).is_err(), "{bad}");
        }
    }
}
