//! The operators' tools: quarantine, deletion and listing through the Synapse-compatible admin
//! API and the `rempart media` command, and the audit hook that sees every download.

use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use rempart_core::audit::{AuditEvent, AuditSink};
use serde_json::json;

use super::{download, join, plaintext_app, post_image, server_and_id, upload};
use crate::support::{TestApp, admin_token, rempart_command};

#[tokio::test]
async fn admins_quarantine_list_and_delete_files_and_nobody_else_may() {
    let app = plaintext_app().await;
    let (alice_id, alice) = app.register("alice").await;
    let root = admin_token(&app).await;
    let uri = upload(&app, &alice, b"evidence", "text/plain").await;
    let id = server_and_id(&uri);

    for (method, path) in [
        (Method::POST, format!("/_synapse/admin/v1/media/quarantine/{id}")),
        (Method::POST, format!("/_synapse/admin/v1/media/unquarantine/{id}")),
        (Method::DELETE, format!("/_synapse/admin/v1/media/{id}")),
        (Method::GET, format!("/_synapse/admin/v1/users/{alice_id}/media")),
    ] {
        let refused = app.request(method, &path, Some(&alice), None).await;
        crate::support::assert_error(&refused, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    }

    let (status, listed) =
        app.request(Method::GET, &format!("/_synapse/admin/v1/users/{alice_id}/media"), Some(&root), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["media"][0]["media_length"], 8);
    assert_eq!(listed["media"][0]["upload_name"], "file.bin");

    let path = format!("/_synapse/admin/v1/media/quarantine/{id}");
    assert_eq!(app.request(Method::POST, &path, Some(&root), None).await.0, StatusCode::OK);
    download(&app, Some(&alice), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let path = format!("/_synapse/admin/v1/media/unquarantine/{id}");
    assert_eq!(app.request(Method::POST, &path, Some(&root), None).await.0, StatusCode::OK);
    assert_eq!(download(&app, Some(&alice), &uri).await.status, StatusCode::OK);

    let (status, deleted) =
        app.request(Method::DELETE, &format!("/_synapse/admin/v1/media/{id}"), Some(&root), None).await;
    assert_eq!((status, &deleted["total"]), (StatusCode::OK, &json!(1)), "{deleted}");
    download(&app, Some(&alice), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let blobs = app.services.config.media_path().join("blobs");
    assert!(super::files_under(&blobs).is_empty(), "the bytes are gone too");
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl AuditSink for Recorder {
    fn record(&self, event: &AuditEvent<'_>) {
        let line = match event {
            AuditEvent::MediaRead { user_id, device_id, media_id, bytes, grant, thumbnail } => {
                format!("read {user_id} {device_id} {media_id} {bytes} {grant} {thumbnail}")
            }
            AuditEvent::AdminAction { actor, action, target } => format!("admin {actor} {action} {target}"),
        };
        self.0.lock().unwrap().push(line);
    }
}

#[tokio::test]
async fn every_download_reaches_the_audit_hook_with_the_rule_that_granted_it() {
    let recorder = Arc::new(Recorder::default());
    let app = TestApp::with_audit(Arc::clone(&recorder) as Arc<dyn AuditSink>, |config| {
        config.encryption.encrypt_private_rooms = false;
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let room = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    join(&app, &bob, &room).await;
    let uri = upload(&app, &alice, b"twelve bytes", "text/plain").await;
    let event = post_image(&app, &alice, &room, &uri).await;
    download(&app, Some(&bob), &uri).await;
    download(&app, None, &uri).await;

    let media_id = uri.rsplit('/').next().unwrap();
    let lines = recorder.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "one read recorded, the refused one is not a read: {lines:?}");
    assert!(lines[0].starts_with(&format!("read {bob_id} ")), "{lines:?}");
    assert!(lines[0].ends_with(&format!("{media_id} 12 event:{event} false")), "{lines:?}");
}

#[tokio::test]
async fn the_media_command_works_on_the_database_directly() {
    let app = plaintext_app().await;
    let (alice_id, alice) = app.register("alice").await;
    let uri = upload(&app, &alice, b"cli", "text/plain").await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("rempart.toml");
    let config = &app.services.config;
    std::fs::write(
        &config_file,
        format!("server_name = \"{}\"\ndata_dir = \"{}\"\n", config.server_name, config.data_dir.display()),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let output = rempart_command().arg("media").args(args).arg("--config").arg(&config_file).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let listed = run(&["list", &alice_id]);
    assert!(listed.contains("1 file(s)") && listed.contains(uri.rsplit('/').next().unwrap()), "{listed}");
    run(&["quarantine", &uri]);
    download(&app, Some(&alice), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert!(run(&["list", &alice_id]).contains("QUARANTINED"));
    run(&["delete", &uri]);
    assert!(run(&["list", &alice_id]).contains("0 file(s)"));

    let output = rempart_command()
        .args(["media", "delete", "mxc://elsewhere.test/abc", "--config"])
        .arg(&config_file)
        .output()
        .unwrap();
    assert!(!output.status.success());
}
