//! Session history and the operator's account tools: `GET /_synapse/admin/v1/whois/{userId}`
//! lists every address and user agent of every session, deleted ones included, and the
//! `rempart user` command locks, suspends, lists, shows sessions, resets passwords and
//! deactivates straight in the database.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use axum::extract::ConnectInfo;
use http::{Method, Request, StatusCode};
use rempart_core::audit::{AuditEvent, AuditSink};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, admin_token, assert_error, login, rempart_command};

/// Records admin actions.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl AuditSink for Recorder {
    fn record(&self, event: &AuditEvent<'_>) {
        if let AuditEvent::AdminAction { actor, action, target } = event {
            self.0.lock().unwrap().push(format!("{actor} {action} {target}"));
        }
    }
}

/// `GET /whoami` as a client at `peer` (the listener's view of the connection) sending
/// `user_agent` and, when given, `X-Forwarded-For`.
async fn whoami_from(app: &TestApp, token: &str, peer: &str, forwarded: Option<&str>, user_agent: &str) -> StatusCode {
    let mut builder = Request::builder()
        .uri("/_matrix/client/v3/account/whoami")
        .header("authorization", format!("Bearer {token}"))
        .header("user-agent", user_agent);
    if let Some(forwarded) = forwarded {
        builder = builder.header("x-forwarded-for", forwarded);
    }
    let mut request = builder.body(axum::body::Body::empty()).unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 41_000)));
    app.router.clone().oneshot(request).await.unwrap().status()
}

/// `(ip, user_agent)` of every connection of one device in a whois answer.
fn connections(whois: &Value, device_id: &str) -> Vec<(Value, Value)> {
    let sessions = whois["devices"][device_id]["sessions"].as_array().unwrap_or_else(|| panic!("{whois}"));
    assert_eq!(sessions.len(), 1, "{whois}");
    let connections = sessions[0]["connections"].as_array().unwrap();
    for connection in connections {
        assert!(connection["last_seen"].as_u64().is_some(), "{connection}");
    }
    connections.iter().map(|c| (c["ip"].clone(), c["user_agent"].clone())).collect()
}

#[tokio::test]
async fn whois_lists_every_address_and_agent_of_every_session_for_admins_only() {
    let recorder = Arc::new(Recorder::default());
    let app = TestApp::with_audit(Arc::clone(&recorder) as Arc<dyn AuditSink>, |config| {
        config.listen.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    })
    .await;
    let (alice_id, alice) = app.register("alice").await;
    let (status, second) = login(&app, "alice", "password-alice").await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_device = second["device_id"].as_str().unwrap().to_owned();
    let second = second["access_token"].as_str().unwrap().to_owned();
    let root = admin_token(&app).await;

    assert_eq!(whoami_from(&app, &alice, "198.51.100.4", None, "Element/1.11").await, StatusCode::OK);
    assert_eq!(whoami_from(&app, &alice, "198.51.100.4", None, "Element/1.11").await, StatusCode::OK);
    // Through the trusted reverse proxy, the forwarded address is the client's.
    assert_eq!(whoami_from(&app, &alice, "10.0.0.1", Some("203.0.113.9"), "curl/8.5").await, StatusCode::OK);
    assert_eq!(whoami_from(&app, &second, "192.0.2.20", None, "Element X").await, StatusCode::OK);
    let (status, _) = app.request(Method::POST, "/_matrix/client/v3/logout", Some(&second), None).await;
    assert_eq!(status, StatusCode::OK);

    let path = format!("/_synapse/admin/v1/whois/{alice_id}");
    let refused = app.request(Method::GET, &path, Some(&alice), None).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert_error(&app.request(Method::GET, &path, None, None).await, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");

    let (status, whois) = app.request(Method::GET, &path, Some(&root), None).await;
    assert_eq!(status, StatusCode::OK, "{whois}");
    assert_eq!(whois["user_id"], alice_id.as_str());
    let (_, me) = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&alice), None).await;
    let first_device = me["device_id"].as_str().unwrap();
    let mut seen = connections(&whois, first_device);
    seen.sort_by_key(|(ip, agent)| (ip.to_string(), agent.to_string()));
    assert!(seen.contains(&(json!("198.51.100.4"), json!("Element/1.11"))), "{whois}");
    assert!(seen.contains(&(json!("203.0.113.9"), json!("curl/8.5"))), "{whois}");
    assert_eq!(seen.iter().filter(|(ip, _)| ip == "198.51.100.4").count(), 1, "a repeated use adds no row: {whois}");
    assert!(whois["devices"][first_device].get("deleted").is_none(), "{whois}");

    assert_eq!(whois["devices"][&second_device]["deleted"], true, "the logged-out device is listed: {whois}");
    // The spec's path answers the same, to admins only.
    let spec_path = format!("/_matrix/client/v3/admin/whois/{alice_id}");
    assert_error(&app.request(Method::GET, &spec_path, Some(&alice), None).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let (status, spec_whois) = app.request(Method::GET, &spec_path, Some(&root), None).await;
    assert_eq!((status, &spec_whois["devices"]), (StatusCode::OK, &whois["devices"]), "{spec_whois}");
    assert!(connections(&whois, &second_device).contains(&(json!("192.0.2.20"), json!("Element X"))), "{whois}");

    let missing = app.request(Method::GET, "/_synapse/admin/v1/whois/@nobody:localhost", Some(&root), None).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let malformed = app.request(Method::GET, "/_synapse/admin/v1/whois/not-a-user", Some(&root), None).await;
    assert_error(&malformed, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");

    let records = recorder.0.lock().unwrap().clone();
    let read = format!("@root:localhost user.whois {alice_id}");
    assert_eq!(records, [read.clone(), read], "only the admin's two reads are recorded");
}

/// A configuration file for the CLI, pointing at the test shard's database.
fn cli_config(app: &TestApp, dir: &Path) -> PathBuf {
    let file = dir.join("rempart.toml");
    let config = &app.services.config;
    let text = format!(
        "server_name = \"{}\"\ndata_dir = \"{}\"\n[password_hashing]\nmemory_kib = 64\niterations = 1\n",
        config.server_name,
        config.data_dir.display()
    );
    std::fs::write(&file, text).unwrap();
    file
}

#[tokio::test]
async fn the_user_command_works_on_the_database_directly() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    admin_token(&app).await;
    assert_eq!(whoami_from(&app, &alice, "198.51.100.4", None, "Element/1.11").await, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let config = cli_config(&app, dir.path());
    let run = |args: &[&str]| {
        let output = rempart_command().arg("user").args(args).arg("--config").arg(&config).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{args:?}: {stderr}");
        (String::from_utf8(output.stdout).unwrap(), stderr)
    };

    let (_, log) = run(&["lock", &alice_id]);
    assert!(log.contains("user.lock") && log.contains(&alice_id), "the lock is audited as cli: {log}");
    let locked = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&alice), None).await;
    assert_error(&locked, StatusCode::UNAUTHORIZED, "M_USER_LOCKED");
    assert_eq!(locked.1["soft_logout"], true);
    let (listed, _) = run(&["list"]);
    assert!(!listed.contains(&alice_id) && listed.contains(&bob_id), "locked accounts are left out: {listed}");
    let (listed, _) = run(&["list", "--locked"]);
    let line = listed.lines().find(|l| l.starts_with(&alice_id)).unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(line.split('\t').take(3).collect::<Vec<_>>(), [alice_id.as_str(), "-", "locked"], "{line}");
    run(&["unlock", "alice"]);
    let (status, _) = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK, "unlocked with the same token");

    run(&["suspend", &alice_id]);
    let refused = app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(json!({}))).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "M_USER_SUSPENDED");
    let (listed, _) = run(&["list"]);
    assert!(listed.lines().any(|l| l.starts_with(&alice_id) && l.contains("\tsuspended\t")), "{listed}");
    run(&["unsuspend", &alice_id]);
    app.create_room(&alice, json!({})).await;

    let (listed, _) = run(&["list", "--admins"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with("@root:localhost\tadmin\tactive\t"), "{listed}");

    let (sessions, _) = run(&["sessions", &alice_id]);
    assert!(sessions.contains("198.51.100.4\tElement/1.11\t"), "{sessions}");

    let password = dir.path().join("password");
    std::fs::write(&password, "short\n").unwrap();
    let weak = rempart_command()
        .args(["user", "reset-password", "alice", "--password-file"])
        .arg(&password)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&weak.stderr);
    assert!(!weak.status.success() && stderr.contains("at least 12 characters"), "the policy applies: {stderr}");
    std::fs::write(&password, "a new long passphrase\n").unwrap();
    run(&["reset-password", &alice_id, "--password-file", password.to_str().unwrap()]);
    let ended = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&alice), None).await;
    assert_error(&ended, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    assert_eq!(login(&app, "alice", "a new long passphrase").await.0, StatusCode::OK);
    assert_eq!(login(&app, "alice", "password-alice").await.0, StatusCode::FORBIDDEN);
    let (sessions, _) = run(&["sessions", "alice"]);
    assert!(sessions.contains("(deleted)") && sessions.contains("198.51.100.4"), "history outlives: {sessions}");

    run(&["deactivate", &bob_id]);
    let dead = app.request(Method::GET, "/_matrix/client/v3/account/whoami", Some(&bob), None).await;
    assert_error(&dead, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    let (listed, _) = run(&["list"]);
    assert!(!listed.contains(&bob_id), "{listed}");
    let (listed, _) = run(&["list", "--deactivated"]);
    assert!(listed.lines().any(|l| l.starts_with(&bob_id) && l.contains("\tdeactivated\t")), "{listed}");

    for args in [&["lock", "@nobody:localhost"][..], &["sessions", "nobody"], &["deactivate", "@bad id"]] {
        let output = rempart_command().arg("user").args(args).arg("--config").arg(&config).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no such user") || stderr.contains("invalid user id"), "{args:?}: {stderr}");
    }
}
