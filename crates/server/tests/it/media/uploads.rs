//! Uploads: how files are stored and served (type, name, disposition, deduplication), the size
//! limit, the quota, the upload rate limit, asynchronous uploads, and malformed input.

use http::{Method, StatusCode};

use super::{download, files_under, plaintext_app, send, server_and_id, upload};
use crate::support::TestApp;

fn blob_count(app: &TestApp) -> usize {
    files_under(&app.services.config.media_path().join("blobs")).len()
}

#[tokio::test]
async fn files_keep_their_name_and_a_sniffed_type_and_dangerous_types_are_attachments() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let png = super::png(4, 4);
    let response = send(
        &app,
        Method::POST,
        "/_matrix/media/v3/upload?filename=%C3%A9t%C3%A9.png",
        Some(&alice),
        Some("application/octet-stream"),
        png.clone(),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    let uri = response.json()["content_uri"].as_str().unwrap().to_owned();
    let served = download(&app, Some(&alice), &uri).await;
    assert_eq!(served.bytes, png);
    assert_eq!(served.headers["content-type"], "image/png", "sniffed from the bytes");
    let disposition = served.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("inline"), "{disposition}");
    assert!(disposition.contains("%C3%A9t%C3%A9.png"), "{disposition}");
    assert!(served.headers["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert_eq!(served.headers["x-content-type-options"], "nosniff");

    // HTML dressed up as an image is served as what it is, and never inline.
    let html = upload(&app, &alice, b"<!DOCTYPE html><script>alert(1)</script>", "image/png").await;
    let served = download(&app, Some(&alice), &html).await;
    assert_eq!(served.headers["content-type"], "text/html");
    assert!(served.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let svg = upload(&app, &alice, b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", "image/svg+xml").await;
    assert!(
        download(&app, Some(&alice), &svg).await.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // The file name in the download path overrides the stored one.
    let path = format!("/_matrix/client/v1/media/download/{}/other.png", server_and_id(&uri));
    let renamed = send(&app, Method::GET, &path, Some(&alice), None, Vec::new()).await;
    assert!(renamed.headers["content-disposition"].to_str().unwrap().contains("other.png"));
}

#[tokio::test]
async fn identical_uploads_are_stored_once() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let first = upload(&app, &alice, b"same bytes", "text/plain").await;
    let second = upload(&app, &bob, b"same bytes", "text/plain").await;
    assert_ne!(first, second, "each upload gets its own id");
    assert_eq!(blob_count(&app), 1);
    // Bob's copy does not make Alice's readable to him.
    download(&app, Some(&bob), &first).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn the_size_limit_and_the_quota_refuse_uploads_and_store_nothing() {
    let app = TestApp::with_config(|config| {
        config.media.max_upload_bytes = 1_000;
        config.media.user_quota_bytes = 1_500;
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let too_large =
        send(&app, Method::POST, "/_matrix/media/v3/upload", Some(&alice), Some("text/plain"), vec![b'x'; 1_001]).await;
    too_large.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE");
    upload(&app, &alice, &[b'a'; 1_000], "text/plain").await;
    let over_quota =
        send(&app, Method::POST, "/_matrix/media/v3/upload", Some(&alice), Some("text/plain"), vec![b'b'; 600]).await;
    over_quota.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE");
    assert_eq!(blob_count(&app), 1, "refused uploads leave no blob");
    assert!(files_under(&app.services.config.media_path().join("tmp")).is_empty(), "nor temporary files");

    let (status, config) = app.request(Method::GET, "/_matrix/client/v1/media/config", Some(&alice), None).await;
    assert_eq!((status, &config["m.upload.size"]), (StatusCode::OK, &serde_json::json!(1_000)));
}

#[tokio::test]
async fn uploads_are_rate_limited_per_account() {
    let app = TestApp::with_config(|config| {
        config.rate_limits.enabled = true;
        config.rate_limits.per_second = 1_000.0;
        config.rate_limits.burst = 1_000;
        config.media.uploads_per_second = 0.01;
        config.media.upload_burst = 2;
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    upload(&app, &alice, b"1", "text/plain").await;
    upload(&app, &alice, b"2", "text/plain").await;
    let limited =
        send(&app, Method::POST, "/_matrix/media/v3/upload", Some(&alice), Some("text/plain"), b"3".to_vec()).await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "M_LIMIT_EXCEEDED");
    assert!(limited.json()["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0));
    upload(&app, &bob, b"other account", "text/plain").await;
}

#[tokio::test]
async fn malformed_ids_and_file_names_get_clear_errors_and_write_nothing_outside_the_media_directory() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let server = app.services.config.server_name.clone();
    let bad_id = send(
        &app,
        Method::GET,
        &format!("/_matrix/client/v1/media/download/{server}/bad%24id"),
        Some(&alice),
        None,
        Vec::new(),
    )
    .await;
    bad_id.assert_error(StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    let traversal = send(
        &app,
        Method::GET,
        &format!("/_matrix/client/v1/media/download/{server}/..%2F..%2Frempart.db"),
        Some(&alice),
        None,
        Vec::new(),
    )
    .await;
    traversal.assert_error(StatusCode::BAD_REQUEST, "M_INVALID_PARAM");

    let before = files_under(&app.services.config.data_dir);
    for name in ["..%2F..%2Fescape.txt", "a%5Cb.txt", "line%0Abreak.txt", "nul%00.txt", ".."] {
        let path = format!("/_matrix/media/v3/upload?filename={name}");
        let refused = send(&app, Method::POST, &path, Some(&alice), Some("text/plain"), b"payload".to_vec()).await;
        refused.assert_error(StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    }
    let after = files_under(&app.services.config.data_dir);
    let created: Vec<_> = after.iter().filter(|path| !before.contains(path) && !is_database_file(path)).collect();
    assert!(created.is_empty(), "refused uploads wrote {created:?}");
    let media_dir = app.services.config.media_path();
    assert!(after.iter().all(|path| path.starts_with(&media_dir) || is_database_file(path) || is_key_file(path)));
}

fn is_database_file(path: &std::path::Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("rempart.db"))
}

fn is_key_file(path: &std::path::Path) -> bool {
    path.file_name().is_some_and(|n| n == "signing.key")
}

#[tokio::test]
async fn asynchronous_uploads_fill_a_reserved_id_once_and_only_by_its_owner() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let (status, created) = app.request(Method::POST, "/_matrix/media/v1/create", Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let uri = created["content_uri"].as_str().unwrap().to_owned();
    assert!(created["unused_expires_at"].as_u64().is_some());

    download(&app, Some(&alice), &uri).await.assert_error(StatusCode::GATEWAY_TIMEOUT, "M_NOT_YET_UPLOADED");
    download(&app, Some(&bob), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");

    let path = format!("/_matrix/media/v3/upload/{}", server_and_id(&uri));
    let not_owner = send(&app, Method::PUT, &path, Some(&bob), Some("text/plain"), b"bob's".to_vec()).await;
    not_owner.assert_error(StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let filled = send(&app, Method::PUT, &path, Some(&alice), Some("text/plain"), b"later".to_vec()).await;
    assert_eq!(filled.status, StatusCode::OK, "{}", String::from_utf8_lossy(&filled.bytes));
    let again = send(&app, Method::PUT, &path, Some(&alice), Some("text/plain"), b"again".to_vec()).await;
    again.assert_error(StatusCode::CONFLICT, "M_CANNOT_OVERWRITE_MEDIA");
    assert_eq!(download(&app, Some(&alice), &uri).await.bytes, b"later");

    let unknown = format!("/_matrix/media/v3/upload/{}/neverreserved", app.services.config.server_name);
    let response = send(&app, Method::PUT, &unknown, Some(&alice), Some("text/plain"), b"x".to_vec()).await;
    response.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn a_download_waits_for_an_asynchronous_upload_in_flight() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let (_, created) = app.request(Method::POST, "/_matrix/media/v1/create", Some(&alice), None).await;
    let uri = created["content_uri"].as_str().unwrap().to_owned();
    let path = format!("/_matrix/client/v1/media/download/{}?timeout_ms=10000", server_and_id(&uri));
    let waiting = send(&app, Method::GET, &path, Some(&alice), None, Vec::new());
    let put = format!("/_matrix/media/v3/upload/{}", server_and_id(&uri));
    let filling = async {
        tokio::task::yield_now().await;
        send(&app, Method::PUT, &put, Some(&alice), Some("text/plain"), b"arrived".to_vec()).await
    };
    let (downloaded, filled) = tokio::join!(waiting, filling);
    assert_eq!(filled.status, StatusCode::OK);
    assert_eq!((downloaded.status, downloaded.bytes.as_slice()), (StatusCode::OK, b"arrived".as_slice()));
}

#[tokio::test]
async fn a_lapsed_reservation_is_not_waited_for() {
    let app = TestApp::with_config(|config| config.media.pending_upload_lifetime_secs = 0).await;
    let (_, alice) = app.register("alice").await;
    let (_, created) = app.request(Method::POST, "/_matrix/media/v1/create", Some(&alice), None).await;
    let uri = created["content_uri"].as_str().unwrap().to_owned();
    let path = format!("/_matrix/client/v1/media/download/{}?timeout_ms=60000", server_and_id(&uri));
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        send(&app, Method::GET, &path, Some(&alice), None, Vec::new()),
    )
    .await
    .expect("answered without waiting for the timeout");
    answer.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let put = format!("/_matrix/media/v3/upload/{}", server_and_id(&uri));
    let late = send(&app, Method::PUT, &put, Some(&alice), Some("text/plain"), b"late".to_vec()).await;
    late.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

/// Downloads are streamed from the file in chunks: a file of several chunks, not a multiple of
/// the chunk size, arrives whole, with its length announced.
#[tokio::test]
async fn a_file_of_many_chunks_downloads_whole() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let bytes: Vec<u8> = (0..300_007u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let uri = upload(&app, &alice, &bytes, "application/octet-stream").await;
    let served = download(&app, Some(&alice), &uri).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers["content-length"], bytes.len().to_string().as_str());
    assert!(served.bytes == bytes, "{} bytes served of {}", served.bytes.len(), bytes.len());
}
