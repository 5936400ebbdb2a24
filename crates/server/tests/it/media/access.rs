//! The access rule, one test per clause: uploader, room members (history visibility applied),
//! redaction, avatars, the encrypted-room fallback and explicit links; everyone else gets the
//! same 404 as for a file that does not exist.

use http::{Method, StatusCode};
use serde_json::json;

use super::{
    alice_and_bob_in_a_room, download, join, leave, plaintext_app, png, post_image, send, send_event, thumbnail, upload,
};

fn public_room() -> serde_json::Value {
    json!({ "preset": "public_chat" })
}

fn room_with_visibility(visibility: &str) -> serde_json::Value {
    json!({
        "preset": "public_chat",
        "initial_state": [{ "type": "m.room.history_visibility", "content": { "history_visibility": visibility } }],
    })
}

#[tokio::test]
async fn a_file_never_posted_is_readable_only_by_its_uploader() {
    let app = plaintext_app().await;
    // Sharing a plaintext room is not enough: the file is never posted there.
    let (alice, bob, _room) = alice_and_bob_in_a_room(&app).await;
    let uri = upload(&app, &alice, b"draft", "text/plain").await;

    let own = download(&app, Some(&alice), &uri).await;
    assert_eq!((own.status, own.bytes.as_slice()), (StatusCode::OK, b"draft".as_slice()));
    download(&app, Some(&bob), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn members_of_the_room_read_a_posted_file_and_others_get_the_same_404_as_for_nothing() {
    let app = plaintext_app().await;
    let (alice, bob, room) = alice_and_bob_in_a_room(&app).await;
    let (_, mallory) = app.register("mallory").await;
    let uri = upload(&app, &alice, b"holiday photo", "image/jpeg").await;
    post_image(&app, &alice, &room, &uri).await;

    let read = download(&app, Some(&bob), &uri).await;
    assert_eq!((read.status, read.bytes.as_slice()), (StatusCode::OK, b"holiday photo".as_slice()));

    let refused = download(&app, Some(&mallory), &uri).await;
    refused.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    let server = app.services.config.server_name.clone();
    let missing = download(&app, Some(&mallory), &format!("mxc://{server}/doesnotexist")).await;
    assert_eq!(refused.json(), missing.json(), "a refused file is indistinguishable from a missing one");
}

#[tokio::test]
async fn history_visibility_decides_for_users_who_left_or_joined_later() {
    for (visibility, late_joiner_reads) in [("joined", false), ("shared", true)] {
        let app = plaintext_app().await;
        let (_, alice) = app.register("alice").await;
        let (_, bob) = app.register("bob").await;
        let (_, carol) = app.register("carol").await;
        let room = app.create_room(&alice, room_with_visibility(visibility)).await;
        join(&app, &bob, &room).await;
        leave(&app, &bob, &room).await;
        let uri = upload(&app, &alice, b"posted after bob left", "text/plain").await;
        post_image(&app, &alice, &room, &uri).await;

        let left = download(&app, Some(&bob), &uri).await;
        left.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");

        join(&app, &carol, &room).await;
        let late = download(&app, Some(&carol), &uri).await;
        assert_eq!(late.status == StatusCode::OK, late_joiner_reads, "{visibility}: late joiner got {}", late.status);
    }
}

#[tokio::test]
async fn redacting_the_event_revokes_access() {
    let app = plaintext_app().await;
    let (alice, bob, room) = alice_and_bob_in_a_room(&app).await;
    let uri = upload(&app, &alice, b"oops", "text/plain").await;
    let event = post_image(&app, &alice, &room, &uri).await;
    assert_eq!(download(&app, Some(&bob), &uri).await.status, StatusCode::OK);

    let path = format!("/_matrix/client/v3/rooms/{room}/redact/{event}/txn-redact");
    let (status, body) = app.request(Method::PUT, &path, Some(&alice), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    download(&app, Some(&bob), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_eq!(download(&app, Some(&alice), &uri).await.status, StatusCode::OK, "the uploader keeps it");
}

#[tokio::test]
async fn nothing_is_served_without_a_token_or_on_the_legacy_paths() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let uri = upload(&app, &alice, b"secret", "text/plain").await;
    download(&app, None, &uri).await.assert_error(StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    let id = super::server_and_id(&uri);
    for path in [
        format!("/_matrix/media/v3/download/{id}"),
        format!("/_matrix/media/r0/download/{id}"),
        format!("/_matrix/media/v3/download/{id}/name.txt"),
        format!("/_matrix/media/v3/thumbnail/{id}?width=32&height=32"),
    ] {
        for token in [None, Some(alice.as_str())] {
            let response = send(&app, Method::GET, &path, token, None, Vec::new()).await;
            response.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
            assert!(!response.bytes.windows(6).any(|w| w == b"secret"), "{path} leaked the file");
        }
    }
    let upload_anonymously =
        send(&app, Method::POST, "/_matrix/media/v3/upload", None, Some("text/plain"), b"x".to_vec()).await;
    upload_anonymously.assert_error(StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
}

#[tokio::test]
async fn thumbnails_follow_the_same_rule() {
    let app = plaintext_app().await;
    let (alice, bob, room) = alice_and_bob_in_a_room(&app).await;
    let (_, mallory) = app.register("mallory").await;
    let uri = upload(&app, &alice, &png(200, 150), "image/png").await;
    thumbnail(&app, &bob, &uri, (32, 32), "crop").await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    post_image(&app, &alice, &room, &uri).await;

    for method in ["crop", "scale"] {
        let thumb = thumbnail(&app, &bob, &uri, (32, 32), method).await;
        assert_eq!(thumb.status, StatusCode::OK, "{method}");
        let image = image::load_from_memory(&thumb.bytes).expect("a decodable thumbnail");
        assert!(image.width() <= 200 && image.height() <= 150);
        if method == "crop" {
            assert_eq!((image.width(), image.height()), (32, 32));
        }
        assert_eq!(thumb.headers["content-security-policy"].to_str().unwrap().split(';').next(), Some("sandbox"));
    }
    thumbnail(&app, &mallory, &uri, (32, 32), "crop").await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    thumbnail(&app, &bob, &uri, (0, 32), "crop").await.assert_error(StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn profile_avatars_and_current_room_avatars_are_readable_by_any_account() {
    let app = plaintext_app().await;
    let (alice_id, alice) = app.register("alice").await;
    let (_, mallory) = app.register("mallory").await;
    let avatar = upload(&app, &alice, &png(8, 8), "image/png").await;
    let path = format!("/_matrix/client/v3/profile/{alice_id}/avatar_url");
    let (status, body) = app.request(Method::PUT, &path, Some(&alice), Some(json!({ "avatar_url": avatar }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(download(&app, Some(&mallory), &avatar).await.status, StatusCode::OK);

    let room_avatar = upload(&app, &alice, &png(9, 9), "image/png").await;
    let initial = json!([{ "type": "m.room.avatar", "content": { "url": room_avatar } }]);
    app.create_room(&alice, json!({ "preset": "private_chat", "initial_state": initial })).await;
    assert_eq!(download(&app, Some(&mallory), &room_avatar).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unlinked_files_are_readable_by_users_sharing_an_encrypted_room_with_the_uploader() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, carol) = app.register("carol").await;
    let encrypted = json!({
        "preset": "private_chat",
        "invite": [bob_id],
        "initial_state": [{ "type": "m.room.encryption", "content": { "algorithm": "m.megolm.v1.aes-sha2" } }],
    });
    let secure = app.create_room(&alice, encrypted).await;
    join(&app, &bob, &secure).await;
    let plain = app.create_room(&alice, public_room()).await;
    join(&app, &carol, &plain).await;

    let uri = upload(&app, &alice, b"ciphertext", "application/octet-stream").await;
    assert_eq!(download(&app, Some(&bob), &uri).await.status, StatusCode::OK);
    download(&app, Some(&carol), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
}

#[tokio::test]
async fn explicit_attachment_links_a_file_and_only_readable_files_can_be_linked() {
    let app = plaintext_app().await;
    let (alice, bob, room) = alice_and_bob_in_a_room(&app).await;
    let (_, mallory) = app.register("mallory").await;
    let uri = upload(&app, &alice, b"encrypted attachment", "application/octet-stream").await;
    let attach = format!("?org.matrix.msc3911.attach_media={}", crate::support::encode(&uri));
    send_event(&app, &alice, &room, &attach, json!({ "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "..." })).await;
    assert_eq!(download(&app, Some(&bob), &uri).await.status, StatusCode::OK);

    // Mallory learned the id: attaching it to her own room, or posting it there, grants nothing.
    let own = app.create_room(&mallory, public_room()).await;
    let txn_path = format!("/_matrix/client/v3/rooms/{own}/send/m.room.message/steal{attach}");
    let stolen = app.request(Method::PUT, &txn_path, Some(&mallory), Some(json!({ "body": "x" }))).await;
    crate::support::assert_error(&stolen, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    post_image(&app, &mallory, &own, &uri).await;
    download(&app, Some(&mallory), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");

    let bad = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/bad?org.matrix.msc3911.attach_media=nope");
    let invalid = app.request(Method::PUT, &bad, Some(&alice), Some(json!({ "body": "x" }))).await;
    crate::support::assert_error(&invalid, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
}

#[tokio::test]
async fn naming_someone_elses_file_as_an_avatar_publishes_nothing() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let (mallory_id, mallory) = app.register("mallory").await;
    let (_, carol) = app.register("carol").await;
    let uri = upload(&app, &alice, b"alice's private draft", "text/plain").await;

    let path = format!("/_matrix/client/v3/profile/{mallory_id}/avatar_url");
    let (status, body) = app.request(Method::PUT, &path, Some(&mallory), Some(json!({ "avatar_url": uri }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let initial = json!([{ "type": "m.room.avatar", "content": { "url": uri } }]);
    let room = app.create_room(&mallory, json!({ "preset": "public_chat", "initial_state": initial })).await;
    join(&app, &carol, &room).await;
    for token in [&mallory, &carol] {
        download(&app, Some(token), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    }
}

#[tokio::test]
async fn a_file_posted_before_its_asynchronous_upload_is_linked() {
    let app = plaintext_app().await;
    let (alice, bob, room) = alice_and_bob_in_a_room(&app).await;
    let (status, created) = app.request(Method::POST, "/_matrix/media/v1/create", Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let uri = created["content_uri"].as_str().expect("uri").to_owned();
    post_image(&app, &alice, &room, &uri).await;
    let put = format!("/_matrix/media/v3/upload/{}", super::server_and_id(&uri));
    assert_eq!(
        send(&app, Method::PUT, &put, Some(&alice), Some("text/plain"), b"late".to_vec()).await.status,
        StatusCode::OK
    );
    let read = download(&app, Some(&bob), &uri).await;
    assert_eq!((read.status, read.bytes.as_slice()), (StatusCode::OK, b"late".as_slice()));
}

#[tokio::test]
async fn readers_through_the_encrypted_room_fallback_cannot_relink_the_file() {
    let app = plaintext_app().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (dave_id, dave) = app.register("dave").await;
    let (_, carol) = app.register("carol").await;
    let encrypted = json!({
        "preset": "private_chat",
        "invite": [bob_id, dave_id],
        "initial_state": [{ "type": "m.room.encryption", "content": { "algorithm": "m.megolm.v1.aes-sha2" } }],
    });
    let secure = app.create_room(&alice, encrypted).await;
    join(&app, &bob, &secure).await;
    join(&app, &dave, &secure).await;
    let uri = upload(&app, &alice, b"ciphertext", "application/octet-stream").await;

    // Bob re-posts it in a room of his own: no link is made, so Carol gets nothing and the
    // members of the encrypted room keep their access.
    let elsewhere = app.create_room(&bob, public_room()).await;
    join(&app, &carol, &elsewhere).await;
    post_image(&app, &bob, &elsewhere, &uri).await;
    download(&app, Some(&carol), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_eq!(download(&app, Some(&dave), &uri).await.status, StatusCode::OK);
}

#[tokio::test]
async fn redacting_a_post_revokes_the_file_its_edits_carry() {
    let app = plaintext_app().await;
    let (alice, bob, room) = alice_and_bob_in_a_room(&app).await;
    let uri = upload(&app, &alice, b"photo", "image/jpeg").await;
    let original = post_image(&app, &alice, &room, &uri).await;
    let edit = json!({
        "msgtype": "m.image", "body": "* cat.png", "url": uri,
        "m.new_content": { "msgtype": "m.image", "body": "cat.png", "url": uri },
        "m.relates_to": { "rel_type": "m.replace", "event_id": original },
    });
    send_event(&app, &alice, &room, "", edit).await;
    assert_eq!(download(&app, Some(&bob), &uri).await.status, StatusCode::OK);

    let path = format!("/_matrix/client/v3/rooms/{room}/redact/{original}/txn-redact-original");
    assert_eq!(app.request(Method::PUT, &path, Some(&alice), Some(json!({}))).await.0, StatusCode::OK);
    download(&app, Some(&bob), &uri).await.assert_error(StatusCode::NOT_FOUND, "M_NOT_FOUND");
}
