//! The account admin API: Synapse's user endpoints, the spec's lock and suspend endpoints
//! (MSC4323) and shared-secret registration, and what each account state does to the user.

mod devices;
mod registration;
mod states;

use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use rempart_core::audit::{AuditEvent, AuditSink};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};
pub use crate::support::{admin_token, login, ok};

pub fn user_id(id: &str) -> ruma::OwnedUserId {
    id.try_into().expect("user id")
}

pub async fn whoami(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(token), None).await
}

/// Admin actions as `actor action target` lines.
#[derive(Default)]
struct RecordedActions(Mutex<Vec<String>>);

impl AuditSink for RecordedActions {
    fn record(&self, event: &AuditEvent<'_>) {
        if let AuditEvent::AdminAction { actor, action, target } = event {
            self.0.lock().unwrap().push(format!("{actor} {action} {target}"));
        }
    }
}

#[tokio::test]
async fn non_admins_are_refused_everywhere() {
    let app = TestApp::new().await;
    admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, _) = app.register("bob").await;
    let bob_device = app.services.devices(&user_id(&bob_id)).unwrap()[0].device_id.to_string();
    let msc4323 = ["/_matrix/client/v1/admin", "/_matrix/client/unstable/uk.timedout.msc4323/admin"];
    let mut endpoints = vec![
        (Method::GET, "/_synapse/admin/v2/users".to_owned(), None),
        (Method::GET, format!("/_synapse/admin/v2/users/{bob_id}"), None),
        (Method::PUT, format!("/_synapse/admin/v2/users/{bob_id}"), Some(json!({ "admin": true }))),
        (Method::PUT, "/_synapse/admin/v2/users/@new:localhost".to_owned(), Some(json!({ "password": "pw" }))),
        (Method::PUT, format!("/_synapse/admin/v2/users/{alice_id}"), Some(json!({ "admin": true }))),
        (Method::POST, format!("/_synapse/admin/v1/deactivate/{bob_id}"), Some(json!({}))),
        (Method::PUT, format!("/_synapse/admin/v1/suspend/{bob_id}"), Some(json!({ "suspend": true }))),
        (Method::GET, format!("/_synapse/admin/v2/users/{bob_id}/devices"), None),
        (Method::GET, format!("/_synapse/admin/v2/users/{bob_id}/devices/{bob_device}"), None),
        (Method::PUT, format!("/_synapse/admin/v2/users/{bob_id}/devices/{bob_device}"), Some(json!({}))),
        (Method::DELETE, format!("/_synapse/admin/v2/users/{bob_id}/devices/{bob_device}"), None),
        (
            Method::POST,
            format!("/_synapse/admin/v2/users/{bob_id}/delete_devices"),
            Some(json!({ "devices": [bob_device] })),
        ),
        (Method::GET, format!("/_synapse/admin/v1/users/{bob_id}/joined_rooms"), None),
        (Method::POST, format!("/_synapse/admin/v1/reset_password/{bob_id}"), Some(json!({ "new_password": "x" }))),
    ];
    for prefix in msc4323 {
        // Unknown and remote accounts too: the check comes before any lookup.
        for target in [bob_id.as_str(), "@nobody:localhost", "@bob:elsewhere.example"] {
            endpoints.push((Method::GET, format!("{prefix}/lock/{target}"), None));
            endpoints.push((Method::PUT, format!("{prefix}/lock/{target}"), Some(json!({ "locked": true }))));
            endpoints.push((Method::GET, format!("{prefix}/suspend/{target}"), None));
            endpoints.push((Method::PUT, format!("{prefix}/suspend/{target}"), Some(json!({ "suspended": true }))));
        }
    }
    for (method, path, body) in endpoints {
        let result = app.request(method.clone(), &path, Some(&alice), body).await;
        assert_eq!(result.0, StatusCode::FORBIDDEN, "{method} {path}: {}", result.1);
        assert_eq!(result.1["errcode"], "M_FORBIDDEN", "{method} {path}: {}", result.1);
        let anonymous = app.request(method.clone(), &path, None, None).await;
        assert_error(&anonymous, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    }
    let bob = app.services.accounts.get_user(&user_id(&bob_id)).unwrap().unwrap();
    assert!(!bob.is_admin && !bob.locked && !bob.suspended, "nothing changed");
    assert_eq!(app.services.devices(&bob.user_id).unwrap().len(), 1, "bob's device survived");
    assert!(app.services.accounts.is_available("new").unwrap(), "no account was created");
    assert!(!app.services.accounts.get_user(&user_id(&alice_id)).unwrap().unwrap().is_admin);
}

#[tokio::test]
async fn query_one_account() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    ok(&app, Method::GET, "/_matrix/client/v3/account/whoami", &alice, None).await;

    let details = ok(&app, Method::GET, format!("/_synapse/admin/v2/users/{alice_id}"), &root, None).await;
    assert_eq!(details["name"], alice_id);
    assert_eq!(details["displayname"], "alice");
    assert_eq!(details["avatar_url"], Value::Null);
    for flag in ["admin", "deactivated", "locked", "suspended", "erased", "shadow_banned", "is_guest"] {
        assert_eq!(details[flag], false, "{flag}: {details}");
    }
    assert_eq!((details["user_type"].clone(), details["threepids"].clone()), (Value::Null, json!([])));
    assert_eq!(details["external_ids"], json!([]));
    // Seconds, as Synapse reports it here; the list reports milliseconds.
    let created = details["creation_ts"].as_u64().expect("creation_ts");
    assert!(created > 1_600_000_000 && created < 100_000_000_000, "{created}");
    assert!(details["last_seen_ts"].as_u64().is_some(), "{details}");

    let root_details = ok(&app, Method::GET, "/_synapse/admin/v2/users/@root:localhost", &root, None).await;
    assert_eq!(root_details["admin"], true);
    let unknown = app.request(Method::GET, "/_synapse/admin/v2/users/@nobody:localhost", Some(&root), None).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let remote = app.request(Method::GET, "/_synapse/admin/v2/users/@a:elsewhere.example", Some(&root), None).await;
    assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let malformed = app.request(Method::GET, "/_synapse/admin/v2/users/not-a-user", Some(&root), None).await;
    assert_error(&malformed, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn create_and_modify_accounts() {
    let audit = Arc::new(RecordedActions::default());
    let app = TestApp::with_audit(audit.clone(), |_| {}).await;
    let root = admin_token(&app).await;
    let path = "/_synapse/admin/v2/users/@carol:localhost";

    let body = json!({ "password": "carol-pw", "displayname": "Carol C.", "avatar_url": "mxc://localhost/abc" });
    let (status, created) = app.request(Method::PUT, path, Some(&root), Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (created["name"].as_str(), created["displayname"].as_str()),
        (Some("@carol:localhost"), Some("Carol C."))
    );
    assert_eq!(
        (created["avatar_url"].as_str(), created["admin"].as_bool()),
        (Some("mxc://localhost/abc"), Some(false))
    );
    let (status, first) = login(&app, "carol", "carol-pw").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let carol = first["access_token"].as_str().unwrap().to_owned();

    // The same request again changes nothing and says so with 200.
    let (status, same) = app.request(Method::PUT, path, Some(&root), Some(json!({ "displayname": "Carol C." }))).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    let changes = json!({ "displayname": "Caroline", "avatar_url": "", "admin": true });
    let modified = ok(&app, Method::PUT, path, &root, Some(changes)).await;
    assert_eq!((modified["displayname"].as_str(), modified["avatar_url"].clone()), (Some("Caroline"), Value::Null));
    assert_eq!(modified["admin"], true);
    ok(&app, Method::GET, "/_synapse/admin/v2/users", &carol, None).await;
    ok(&app, Method::PUT, path, &root, Some(json!({ "admin": false }))).await;
    assert_error(
        &app.request(Method::GET, "/_synapse/admin/v2/users", Some(&carol), None).await,
        StatusCode::FORBIDDEN,
        "M_FORBIDDEN",
    );

    // A new password ends every session unless told otherwise.
    ok(&app, Method::PUT, path, &root, Some(json!({ "password": "second-pw", "logout_devices": false }))).await;
    assert_eq!(whoami(&app, &carol).await.0, StatusCode::OK);
    ok(&app, Method::PUT, path, &root, Some(json!({ "password": "third-pw" }))).await;
    assert_error(&whoami(&app, &carol).await, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    assert_error(&login(&app, "carol", "second-pw").await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let (status, again) = login(&app, "carol", "third-pw").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let carol = again["access_token"].as_str().unwrap().to_owned();

    let locked = ok(&app, Method::PUT, path, &root, Some(json!({ "locked": true }))).await;
    assert_eq!(locked["locked"], true);
    let refused = whoami(&app, &carol).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "M_USER_LOCKED");
    assert_eq!(refused.1["soft_logout"], true);
    ok(&app, Method::PUT, path, &root, Some(json!({ "locked": false }))).await;
    assert_eq!(whoami(&app, &carol).await.0, StatusCode::OK, "unlocked with the same token");

    // Refused outright, changing nothing.
    let demote = app
        .request(Method::PUT, "/_synapse/admin/v2/users/@root:localhost", Some(&root), Some(json!({ "admin": false })))
        .await;
    assert_error(&demote, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    for (body, errcode) in [
        (json!({ "threepids": [{ "medium": "email", "address": "c@example.org" }] }), "M_INVALID_PARAM"),
        (json!({ "external_ids": [{ "auth_provider": "x", "external_id": "1" }] }), "M_INVALID_PARAM"),
        (json!({ "user_type": "bot" }), "M_INVALID_PARAM"),
        (json!({ "avatar_url": "https://example.org/a.png", "password": "fourth-pw" }), "M_BAD_JSON"),
        (json!({ "displayname": "x".repeat(257), "password": "fourth-pw" }), "M_BAD_JSON"),
        (json!({ "admin": "yes" }), "M_BAD_JSON"),
    ] {
        assert_error(&app.request(Method::PUT, path, Some(&root), Some(body)).await, StatusCode::BAD_REQUEST, errcode);
    }
    assert_eq!(whoami(&app, &carol).await.0, StatusCode::OK, "the refused password change ended nothing");
    // Synapse-admin sends the fields it shows back, empty lists and nulls included.
    let echoed = json!({ "threepids": [], "external_ids": [], "user_type": null, "displayname": "Caroline", "deactivated": false });
    ok(&app, Method::PUT, path, &root, Some(echoed)).await;

    let deactivated = ok(&app, Method::PUT, path, &root, Some(json!({ "deactivated": true }))).await;
    assert_eq!((deactivated["deactivated"].as_bool(), deactivated["displayname"].clone()), (Some(true), Value::Null));
    assert_error(&whoami(&app, &carol).await, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    let reactivate =
        app.request(Method::PUT, path, Some(&root), Some(json!({ "deactivated": false, "password": "p" }))).await;
    assert_error(&reactivate, StatusCode::BAD_REQUEST, "M_UNKNOWN");
    let rename = app.request(Method::PUT, path, Some(&root), Some(json!({ "displayname": "Ghost" }))).await;
    assert_error(&rename, StatusCode::BAD_REQUEST, "M_BAD_STATE");

    let remote =
        app.request(Method::PUT, "/_synapse/admin/v2/users/@x:elsewhere.example", Some(&root), Some(json!({}))).await;
    assert_error(&remote, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let invalid =
        app.request(Method::PUT, "/_synapse/admin/v2/users/@Bad:localhost", Some(&root), Some(json!({}))).await;
    assert_error(&invalid, StatusCode::BAD_REQUEST, "M_INVALID_USERNAME");

    let actions = audit.0.lock().unwrap().clone();
    for expected in [
        "@root:localhost user.create @carol:localhost",
        "@root:localhost user.set_displayname @carol:localhost",
        "@root:localhost user.set_avatar_url @carol:localhost",
        "@root:localhost user.grant_admin @carol:localhost",
        "@root:localhost user.revoke_admin @carol:localhost",
        "@root:localhost user.reset_password @carol:localhost",
        "@root:localhost user.lock @carol:localhost",
        "@root:localhost user.unlock @carol:localhost",
        "@root:localhost user.deactivate @carol:localhost",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} not in {actions:#?}");
    }
}

#[tokio::test]
async fn list_accounts_with_filters_and_pages() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    for name in ["alice", "bob", "carol", "dave"] {
        app.register(name).await;
    }
    let put = |user: &str, body: Value| {
        ok(&app, Method::PUT, format!("/_synapse/admin/v2/users/@{user}:localhost"), &root, Some(body))
    };
    put("bob", json!({ "displayname": "Robert" })).await;
    put("carol", json!({ "locked": true })).await;
    ok(&app, Method::POST, "/_synapse/admin/v1/deactivate/@dave:localhost", &root, Some(json!({}))).await;
    let names = |page: &Value| -> Vec<String> {
        page["users"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap().to_owned()).collect()
    };
    let list = |query: &str| ok(&app, Method::GET, format!("/_synapse/admin/v2/users{query}"), &root, None);

    let all = list("").await;
    assert_eq!(names(&all), ["@alice:localhost", "@bob:localhost", "@root:localhost"], "{all}");
    assert_eq!((all["total"].as_u64(), all.get("next_token")), (Some(3), None));
    let alice = &all["users"][0];
    assert_eq!(
        (alice["admin"].as_bool(), alice["deactivated"].as_bool(), alice["locked"].as_bool()),
        (Some(false), Some(false), Some(false))
    );
    assert!(alice["creation_ts"].as_u64().unwrap() > 1_600_000_000_000, "milliseconds in the list: {alice}");

    let everyone = list("?deactivated=true&locked=true&guests=false").await;
    assert_eq!(names(&everyone).len(), 5, "{everyone}");
    let dave = everyone["users"].as_array().unwrap().iter().find(|u| u["name"] == "@dave:localhost").unwrap().clone();
    assert_eq!((dave["deactivated"].as_bool(), dave["erased"].as_bool()), (Some(true), Some(false)));
    assert_eq!(
        names(&list("?locked=true").await),
        ["@alice:localhost", "@bob:localhost", "@carol:localhost", "@root:localhost"]
    );
    assert_eq!(names(&list("?admins=true").await), ["@root:localhost"]);
    assert_eq!(names(&list("?admins=false").await), ["@alice:localhost", "@bob:localhost"]);
    assert_eq!(names(&list("?name=rob").await), ["@bob:localhost"], "display names match, in any case");
    assert_eq!(names(&list("?name=ALI").await), ["@alice:localhost"]);
    assert_eq!(names(&list("?user_id=root").await), ["@root:localhost"]);
    assert_eq!(names(&list("?dir=b").await), ["@root:localhost", "@bob:localhost", "@alice:localhost"]);
    assert_eq!(names(&list("?order_by=admin&dir=b").await)[0], "@root:localhost");
    // Byte order, as Synapse on SQLite: "Robert" before "alice".
    assert_eq!(names(&list("?order_by=displayname").await), ["@bob:localhost", "@alice:localhost", "@root:localhost"]);

    let first = list("?limit=2").await;
    assert_eq!((names(&first).len(), first["next_token"].as_str(), first["total"].as_u64()), (2, Some("2"), Some(3)));
    let second = list("?limit=2&from=2").await;
    assert_eq!((names(&second), second.get("next_token")), (vec!["@root:localhost".to_owned()], None));

    for query in ["?order_by=password", "?dir=sideways", "?limit=-1", "?admins=maybe"] {
        let bad = app.request(Method::GET, &format!("/_synapse/admin/v2/users{query}"), Some(&root), None).await;
        assert_error(&bad, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    }
}

#[tokio::test]
async fn joined_rooms_and_password_resets() {
    let app = TestApp::new().await;
    let root = admin_token(&app).await;
    let (alice_id, alice) = app.register("alice").await;
    let kept = app.create_room(&alice, json!({})).await;
    let left = app.create_room(&alice, json!({})).await;
    ok(&app, Method::POST, format!("/_matrix/client/v3/rooms/{left}/leave"), &alice, Some(json!({}))).await;

    let rooms = ok(&app, Method::GET, format!("/_synapse/admin/v1/users/{alice_id}/joined_rooms"), &root, None).await;
    assert_eq!(rooms, json!({ "joined_rooms": [kept], "total": 1 }));
    let nobody = ok(&app, Method::GET, "/_synapse/admin/v1/users/@nobody:localhost/joined_rooms", &root, None).await;
    assert_eq!(nobody, json!({ "joined_rooms": [], "total": 0 }));

    let path = format!("/_synapse/admin/v1/reset_password/{alice_id}");
    ok(&app, Method::POST, &path, &root, Some(json!({ "new_password": "kept-sessions", "logout_devices": false })))
        .await;
    assert_eq!(whoami(&app, &alice).await.0, StatusCode::OK);
    assert_eq!(login(&app, "alice", "kept-sessions").await.0, StatusCode::OK);
    ok(&app, Method::POST, &path, &root, Some(json!({ "new_password": "ended-sessions" }))).await;
    assert_error(&whoami(&app, &alice).await, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    assert_eq!(login(&app, "alice", "ended-sessions").await.0, StatusCode::OK);

    let missing = app.request(Method::POST, &path, Some(&root), Some(json!({}))).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let unknown = app
        .request(
            Method::POST,
            "/_synapse/admin/v1/reset_password/@nobody:localhost",
            Some(&root),
            Some(json!({ "new_password": "x" })),
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "M_NOT_FOUND");
}
