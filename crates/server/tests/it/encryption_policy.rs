//! The platform's encryption policy: private rooms are encrypted without asking, encryption
//! never turns off, and open forums stay readable unless the operator allows otherwise.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, assert_error};

const MEGOLM: &str = "m.megolm.v1.aes-sha2";

fn state_path(room: &str, kind: &str) -> String {
    format!("/_matrix/client/v3/rooms/{room}/state/{kind}/")
}

#[tokio::test]
async fn private_rooms_are_encrypted_and_stay_encrypted() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    for preset in ["private_chat", "trusted_private_chat"] {
        let room = app.create_room(&alice, json!({ "preset": preset })).await;
        let (status, content) =
            app.request(Method::GET, &state_path(&room, "m.room.encryption"), Some(&alice), None).await;
        assert_eq!((status, content["algorithm"].as_str()), (StatusCode::OK, Some(MEGOLM)), "{preset}");

        let off =
            app.request(Method::PUT, &state_path(&room, "m.room.encryption"), Some(&alice), Some(json!({}))).await;
        assert_error(&off, StatusCode::FORBIDDEN, "M_FORBIDDEN");
        let other = json!({ "algorithm": "m.olm.v1.curve25519-aes-sha2" });
        let other = app.request(Method::PUT, &state_path(&room, "m.room.encryption"), Some(&alice), Some(other)).await;
        assert_error(&other, StatusCode::FORBIDDEN, "M_FORBIDDEN");
        let public = json!({ "join_rule": "public" });
        let public =
            app.request(Method::PUT, &state_path(&room, "m.room.join_rules"), Some(&alice), Some(public)).await;
        assert_error(&public, StatusCode::FORBIDDEN, "M_FORBIDDEN");
        assert!(public.1["error"].as_str().unwrap().contains("encrypted"), "{}", public.1);
    }
    // A room created without a preset but not public follows the private preset.
    let room = app.create_room(&alice, json!({})).await;
    let (status, _) = app.request(Method::GET, &state_path(&room, "m.room.encryption"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn forums_cannot_be_encrypted_unless_allowed() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let forum = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    let (status, _) = app.request(Method::GET, &state_path(&forum, "m.room.encryption"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "forums are not encrypted");
    let encrypt = json!({ "algorithm": MEGOLM });
    let result =
        app.request(Method::PUT, &state_path(&forum, "m.room.encryption"), Some(&alice), Some(encrypt.clone())).await;
    assert_error(&result, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    assert!(result.1["error"].as_str().unwrap().contains("public"), "{}", result.1);
    let initial =
        json!({ "preset": "public_chat", "initial_state": [{ "type": "m.room.encryption", "content": encrypt }] });
    let result = app.request(Method::POST, "/_matrix/client/v3/createRoom", Some(&alice), Some(initial)).await;
    assert_error(&result, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    let app = TestApp::with_config(|c| {
        c.encryption.allow_in_public_rooms = true;
        c.encryption.encrypt_private_rooms = false;
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let forum = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    let (status, body) =
        app.request(Method::PUT, &state_path(&forum, "m.room.encryption"), Some(&alice), Some(encrypt)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let private = app.create_room(&alice, json!({ "preset": "private_chat" })).await;
    let (status, _) = app.request(Method::GET, &state_path(&private, "m.room.encryption"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the default can be turned off");
}
