//! Server-side key backup (`/room_keys`): versions, keys at the three levels, the rule for
//! replacing a stored key, etags and counts, and the errors for wrong, unknown and foreign
//! versions.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, encode};

const ALGORITHM: &str = "m.megolm_backup.v1.curve25519-aes-sha2";
const VERSIONS: &str = "/_matrix/client/v3/room_keys/version";
const ROOM: &str = "!room:example.org";
const OTHER_ROOM: &str = "!other:example.org";

fn version_body(public_key: &str) -> Value {
    json!({ "algorithm": ALGORITHM, "auth_data": { "public_key": public_key, "signatures": {} } })
}

/// A key as a client uploads it; `tag` marks its (fake) ciphertext.
fn key(index: u64, forwarded: u64, verified: bool, tag: &str) -> Value {
    json!({
        "first_message_index": index,
        "forwarded_count": forwarded,
        "is_verified": verified,
        "session_data": { "ephemeral": "ZXBo", "ciphertext": tag, "mac": "bWFj" },
    })
}

/// `/room_keys/keys`, for a room and a session when given, at `version`.
fn keys_path(version: &str, room: Option<&str>, session: Option<&str>) -> String {
    let mut path = "/_matrix/client/v3/room_keys/keys".to_owned();
    for part in [room, session].into_iter().flatten() {
        path = format!("{path}/{}", encode(part));
    }
    format!("{path}?version={}", encode(version))
}

async fn create_version(app: &TestApp, token: &str, public_key: &str) -> String {
    let (status, body) = app.request(Method::POST, VERSIONS, Some(token), Some(version_body(public_key))).await;
    assert_eq!(status, StatusCode::OK, "create version: {body}");
    body["version"].as_str().expect("version").to_owned()
}

/// Uploads one session's key and returns `(etag, count)`.
async fn put_key(app: &TestApp, token: &str, version: &str, session: &str, key: Value) -> (String, u64) {
    let path = keys_path(version, Some(ROOM), Some(session));
    let (status, body) = app.request(Method::PUT, &path, Some(token), Some(key)).await;
    assert_eq!(status, StatusCode::OK, "upload key: {body}");
    (body["etag"].as_str().expect("etag").to_owned(), body["count"].as_u64().expect("count"))
}

fn not_found(result: &(StatusCode, Value)) {
    assert_error(result, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    app.request(Method::GET, path, Some(token), None).await
}

#[tokio::test]
async fn versions_are_created_read_updated_and_deleted() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    not_found(&get(&app, &token, VERSIONS).await);

    assert_eq!(create_version(&app, &token, "key1").await, "1");
    let (status, info) = get(&app, &token, VERSIONS).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(
        info,
        json!({
            "algorithm": ALGORITHM,
            "auth_data": { "public_key": "key1", "signatures": {} },
            "version": "1",
            "etag": "0",
            "count": 0,
        })
    );
    assert_eq!(create_version(&app, &token, "key2").await, "2");
    assert_eq!(get(&app, &token, VERSIONS).await.1["version"], "2", "the newest version is the current one");
    let (status, first) = get(&app, &token, &format!("{VERSIONS}/1")).await;
    assert_eq!((status, &first["auth_data"]["public_key"]), (StatusCode::OK, &json!("key1")));
    let (status, r0) = get(&app, &token, "/_matrix/client/r0/room_keys/version").await;
    assert_eq!((status, &r0["version"]), (StatusCode::OK, &json!("2")), "older path versions work too");

    // Update: auth_data only; the algorithm must stay and a version in the body must match.
    let mut update = version_body("key1-resigned");
    update["version"] = json!("1");
    let (status, body) = app.request(Method::PUT, &format!("{VERSIONS}/1"), Some(&token), Some(update)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(get(&app, &token, &format!("{VERSIONS}/1")).await.1["auth_data"]["public_key"], "key1-resigned");
    let other_algorithm = json!({ "algorithm": "org.example.other", "auth_data": {} });
    let changed = app.request(Method::PUT, &format!("{VERSIONS}/1"), Some(&token), Some(other_algorithm)).await;
    assert_error(&changed, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let mut mismatch = version_body("k");
    mismatch["version"] = json!("2");
    let mismatch = app.request(Method::PUT, &format!("{VERSIONS}/1"), Some(&token), Some(mismatch)).await;
    assert_error(&mismatch, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let unknown = app.request(Method::PUT, &format!("{VERSIONS}/7"), Some(&token), Some(version_body("k"))).await;
    not_found(&unknown);

    // Delete: the version is gone, the previous one becomes current, numbers are not reused.
    let (status, _) = app.request(Method::DELETE, &format!("{VERSIONS}/2"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    not_found(&get(&app, &token, &format!("{VERSIONS}/2")).await);
    let again = app.request(Method::DELETE, &format!("{VERSIONS}/2"), Some(&token), None).await;
    not_found(&again);
    assert_eq!(get(&app, &token, VERSIONS).await.1["version"], "1");
    assert_eq!(create_version(&app, &token, "key3").await, "3");
    for bad in ["abc", "-1", "99999999999999999999999"] {
        not_found(&get(&app, &token, &format!("{VERSIONS}/{bad}")).await);
    }
}

#[tokio::test]
async fn keys_are_stored_read_and_deleted_at_three_levels() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let v = create_version(&app, &token, "k").await;

    let (etag1, count) = put_key(&app, &token, &v, "s1", key(0, 0, false, "s1")).await;
    assert_eq!(count, 1);
    let room_body = json!({ "sessions": { "s2": key(0, 0, false, "s2"), "s3": key(0, 0, false, "s3") } });
    let (status, body) =
        app.request(Method::PUT, &keys_path(&v, Some(ROOM), None), Some(&token), Some(room_body)).await;
    assert_eq!((status, &body["count"]), (StatusCode::OK, &json!(3)), "{body}");
    let etag2 = body["etag"].as_str().expect("etag").to_owned();
    assert_ne!(etag1, etag2, "the etag changes with the keys");
    let all_body = json!({ "rooms": { OTHER_ROOM: { "sessions": { "s9": key(0, 0, true, "s9") } } } });
    let (status, body) = app.request(Method::PUT, &keys_path(&v, None, None), Some(&token), Some(all_body)).await;
    assert_eq!((status, &body["count"]), (StatusCode::OK, &json!(4)), "{body}");
    let etag3 = body["etag"].as_str().expect("etag").to_owned();
    assert_ne!(etag3, etag2);
    let info = get(&app, &token, VERSIONS).await.1;
    assert_eq!((&info["etag"], &info["count"]), (&json!(etag3), &json!(4)));

    let (status, all) = get(&app, &token, &keys_path(&v, None, None)).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["rooms"][ROOM]["sessions"]["s2"], key(0, 0, false, "s2"));
    assert_eq!(all["rooms"][OTHER_ROOM]["sessions"]["s9"], key(0, 0, true, "s9"));
    let (status, room) = get(&app, &token, &keys_path(&v, Some(ROOM), None)).await;
    assert_eq!(status, StatusCode::OK);
    let sessions = room["sessions"].as_object().expect("sessions");
    assert_eq!(sessions.keys().collect::<Vec<_>>(), ["s1", "s2", "s3"]);
    let (status, session) = get(&app, &token, &keys_path(&v, Some(ROOM), Some("s3"))).await;
    assert_eq!((status, session), (StatusCode::OK, key(0, 0, false, "s3")));
    let missing = get(&app, &token, &keys_path(&v, Some(ROOM), Some("nope"))).await;
    not_found(&missing);
    let (status, empty) = get(&app, &token, &keys_path(&v, Some("!empty:example.org"), None)).await;
    assert_eq!((status, empty), (StatusCode::OK, json!({ "sessions": {} })));

    let delete = |room, session| {
        let path = keys_path(&v, room, session);
        let (app, token) = (&app, &token);
        async move { app.request(Method::DELETE, &path, Some(token), None).await }
    };
    let (status, body) = delete(Some(ROOM), Some("s1")).await;
    assert_eq!((status, &body["count"]), (StatusCode::OK, &json!(3)), "{body}");
    assert_ne!(body["etag"], json!(etag3));
    let (_, body) = delete(Some(ROOM), Some("nope")).await;
    assert_eq!(body["count"], 3, "deleting nothing is not an error");
    let (_, body) = delete(Some(ROOM), None).await;
    assert_eq!(body["count"], 1);
    let (_, body) = delete(None, None).await;
    assert_eq!(body["count"], 0);
    assert_eq!(get(&app, &token, &keys_path(&v, None, None)).await.1, json!({ "rooms": {} }));
}

#[tokio::test]
async fn the_better_key_is_kept() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let v = create_version(&app, &token, "k").await;
    let stored = |session: &'static str| {
        let (app, token, v) = (&app, &token, &v);
        async move {
            get(app, token, &keys_path(v, Some(ROOM), Some(session))).await.1["session_data"]["ciphertext"].clone()
        }
    };

    // Each criterion, in both directions, all other fields equal.
    let cases: [(&str, Value, Value); 3] = [
        ("verified", key(3, 1, false, "worse"), key(3, 1, true, "better")),
        ("index", key(5, 1, true, "worse"), key(2, 1, true, "better")),
        ("forwarded", key(3, 4, false, "worse"), key(3, 0, false, "better")),
    ];
    let mut etag = String::new();
    for (session, worse, better) in cases {
        let (before, _) = put_key(&app, &token, &v, session, worse.clone()).await;
        let (replaced, _) = put_key(&app, &token, &v, session, better.clone()).await;
        assert_eq!(stored(session).await, "better", "{session}: the better key replaces the stored one");
        assert_ne!(replaced, before, "{session}: a replacement changes the etag");
        (etag, _) = put_key(&app, &token, &v, session, worse).await;
        assert_eq!(stored(session).await, "better", "{session}: a worse key does not replace the stored one");
        assert_eq!(etag, replaced, "{session}: nothing changed, same etag");
    }

    // Ties keep the stored key; the criteria apply in order.
    let (tie, count) = put_key(&app, &token, &v, "index", key(2, 1, true, "tie")).await;
    assert_eq!((stored("index").await, tie), (json!("better"), etag.clone()), "a tie keeps the stored key");
    put_key(&app, &token, &v, "index", key(0, 0, false, "unverified")).await;
    assert_eq!(stored("index").await, "better", "an unverified key never replaces a verified one");
    put_key(&app, &token, &v, "forwarded", key(4, 0, false, "later-index")).await;
    assert_eq!(stored("forwarded").await, "better", "fewer forwards do not beat a lower index");
    let (last, last_count) = put_key(&app, &token, &v, "forwarded", key(2, 9, false, "earlier-index")).await;
    assert_eq!(stored("forwarded").await, "earlier-index", "a lower index wins despite more forwards");
    assert_eq!((count, last_count), (3, 3), "replacements do not add keys");
    assert_ne!(last, etag);
}

#[tokio::test]
async fn uploads_go_to_the_current_version_only() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let no_version = app
        .request(Method::PUT, &keys_path("1", Some(ROOM), Some("s")), Some(&token), Some(key(0, 0, false, "a")))
        .await;
    not_found(&no_version);
    let old = create_version(&app, &token, "old").await;
    let current = create_version(&app, &token, "new").await;

    let bodies = [
        (keys_path(&old, Some(ROOM), Some("s")), key(0, 0, false, "a")),
        (keys_path(&old, Some(ROOM), None), json!({ "sessions": { "s": key(0, 0, false, "a") } })),
        (keys_path(&old, None, None), json!({ "rooms": { ROOM: { "sessions": { "s": key(0, 0, false, "a") } } } })),
    ];
    for (path, body) in bodies {
        let result = app.request(Method::PUT, &path, Some(&token), Some(body)).await;
        assert_error(&result, StatusCode::FORBIDDEN, "M_WRONG_ROOM_KEYS_VERSION");
        assert_eq!(result.1["current_version"], json!(current), "{path}");
    }
    assert_eq!(get(&app, &token, &format!("{VERSIONS}/{old}")).await.1["count"], 0, "nothing stored");
    for version in ["9", "abc"] {
        let path = keys_path(version, Some(ROOM), Some("s"));
        let unknown = app.request(Method::PUT, &path, Some(&token), Some(key(0, 0, false, "a"))).await;
        not_found(&unknown);
        not_found(&get(&app, &token, &keys_path(version, None, None)).await);
    }
}

#[tokio::test]
async fn a_deleted_version_and_its_keys_are_gone() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    let v = create_version(&app, &token, "k").await;
    put_key(&app, &token, &v, "s", key(0, 0, false, "a")).await;
    let (status, _) = app.request(Method::DELETE, &format!("{VERSIONS}/{v}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);

    not_found(&get(&app, &token, VERSIONS).await);
    not_found(&get(&app, &token, &format!("{VERSIONS}/{v}")).await);
    for path in [keys_path(&v, None, None), keys_path(&v, Some(ROOM), None), keys_path(&v, Some(ROOM), Some("s"))] {
        not_found(&get(&app, &token, &path).await);
        let deleted = app.request(Method::DELETE, &path, Some(&token), None).await;
        not_found(&deleted);
    }
    let upload = app
        .request(Method::PUT, &keys_path(&v, Some(ROOM), Some("s")), Some(&token), Some(key(0, 0, false, "b")))
        .await;
    not_found(&upload);
    let update = app.request(Method::PUT, &format!("{VERSIONS}/{v}"), Some(&token), Some(version_body("k"))).await;
    not_found(&update);
}

#[tokio::test]
async fn backups_are_private_to_their_owner() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let v = create_version(&app, &alice, "alice-key").await;
    put_key(&app, &alice, &v, "s", key(0, 0, false, "secret")).await;

    not_found(&get(&app, &bob, VERSIONS).await);
    not_found(&get(&app, &bob, &format!("{VERSIONS}/{v}")).await);
    not_found(&get(&app, &bob, &keys_path(&v, None, None)).await);
    let path = keys_path(&v, Some(ROOM), Some("s"));
    not_found(&get(&app, &bob, &path).await);
    let overwrite = app.request(Method::PUT, &path, Some(&bob), Some(key(0, 0, true, "bob"))).await;
    not_found(&overwrite);
    let delete = app.request(Method::DELETE, &format!("{VERSIONS}/{v}"), Some(&bob), None).await;
    not_found(&delete);

    // Bob's own backup has the same number but is a different backup.
    assert_eq!(create_version(&app, &bob, "bob-key").await, v);
    assert_eq!(get(&app, &bob, &keys_path(&v, None, None)).await.1, json!({ "rooms": {} }));
    let (status, body) = app.request(Method::DELETE, &keys_path(&v, None, None), Some(&bob), None).await;
    assert_eq!((status, &body["count"]), (StatusCode::OK, &json!(0)));
    assert_eq!(get(&app, &alice, &path).await.1["session_data"]["ciphertext"], "secret");
    assert_eq!(get(&app, &alice, VERSIONS).await.1["auth_data"]["public_key"], "alice-key");
}

#[tokio::test]
async fn malformed_requests_get_matrix_errors() {
    let app = TestApp::new().await;
    let (_, token) = app.register("alice").await;
    assert_error(&app.request(Method::GET, VERSIONS, None, None).await, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    for body in [
        json!({ "auth_data": {} }),
        json!({ "algorithm": ALGORITHM }),
        json!({ "algorithm": "", "auth_data": {} }),
        json!({ "algorithm": ALGORITHM, "auth_data": "x" }),
    ] {
        let result = app.request(Method::POST, VERSIONS, Some(&token), Some(body)).await;
        assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    }
    let v = create_version(&app, &token, "k").await;
    let path = keys_path(&v, Some(ROOM), Some("s"));
    for body in [
        json!({ "first_message_index": 0, "forwarded_count": 0, "session_data": {} }),
        json!({ "first_message_index": -1, "forwarded_count": 0, "is_verified": false, "session_data": {} }),
        json!({ "first_message_index": 0, "forwarded_count": 0, "is_verified": "yes", "session_data": {} }),
        json!({ "first_message_index": 0, "forwarded_count": 0, "is_verified": false, "session_data": "x" }),
        json!([]),
    ] {
        let result = app.request(Method::PUT, &path, Some(&token), Some(body)).await;
        assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    }
    // One bad key spoils the whole upload.
    let mixed = json!({ "sessions": { "good": key(0, 0, false, "g"), "bad": { "is_verified": true } } });
    let result = app.request(Method::PUT, &keys_path(&v, Some(ROOM), None), Some(&token), Some(mixed)).await;
    assert_error(&result, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_eq!(get(&app, &token, VERSIONS).await.1["count"], 0);
    let no_version = get(&app, &token, "/_matrix/client/v3/room_keys/keys").await;
    assert_eq!(no_version.0, StatusCode::BAD_REQUEST, "{}", no_version.1);
}
