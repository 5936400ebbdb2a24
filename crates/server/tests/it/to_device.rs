//! Send-to-device messaging at the HTTP level: targeting one device or all of them, delivery
//! by sync exactly once per device until acknowledged, transaction idempotency, long-poll
//! wake-ups, queues dropped with their device, and refused requests.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use ruma::{OwnedDeviceId, OwnedUserId};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};

const V3: &str = "/_matrix/client/v3";

/// Logs `localpart` in as `device_id` and returns the access token.
async fn login(app: &TestApp, localpart: &str, device_id: &str) -> String {
    let body = json!({
        "type": "m.login.password",
        "identifier": { "type": "m.id.user", "user": localpart },
        "password": format!("password-{localpart}"),
        "device_id": device_id,
    });
    let (status, response) = app.request(Method::POST, &format!("{V3}/login"), None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "login {localpart}/{device_id}: {response}");
    response["access_token"].as_str().expect("access_token").to_owned()
}

/// `PUT /sendToDevice/m.test/{txn}` with `messages`.
async fn send(app: &TestApp, token: &str, txn: &str, messages: Value) -> (StatusCode, Value) {
    let path = format!("{V3}/sendToDevice/m.test/{txn}");
    app.request(Method::PUT, &path, Some(token), Some(json!({ "messages": messages }))).await
}

async fn send_ok(app: &TestApp, token: &str, txn: &str, messages: Value) {
    let (status, body) = send(app, token, txn, messages).await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({})), "sendToDevice {txn}");
}

/// Syncs (from `since` if given) and returns the to-device events and the next token.
async fn sync(app: &TestApp, token: &str, since: Option<&str>) -> (Vec<Value>, String) {
    let query = since.map(|s| format!("?since={s}&timeout=0")).unwrap_or_default();
    let (status, body) = app.request(Method::GET, &format!("{V3}/sync{query}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "sync: {body}");
    let events = body["to_device"]["events"].as_array().cloned().expect("to_device.events is a list");
    (events, body["next_batch"].as_str().expect("next_batch").to_owned())
}

/// The `n` of each event's content, in order.
fn numbers(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["content"]["n"].as_i64().expect("content.n")).collect()
}

/// What is still stored for a device, read from the database.
fn stored(app: &TestApp, user: &str, device: &str) -> usize {
    let user = OwnedUserId::try_from(user).expect("user id");
    let device = OwnedDeviceId::from(device);
    app.services.store.to_device_messages(&user, &device, 0, i64::MAX).expect("read").len()
}

#[tokio::test]
async fn delivered_to_one_or_all_devices_until_acknowledged() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob_first) = app.register("bob").await;
    let (phone, laptop) = (login(&app, "bob", "PHONE").await, login(&app, "bob", "LAPTOP").await);
    let (_, phone_t0) = sync(&app, &phone, None).await;

    send_ok(&app, &alice, "one", json!({ &bob_id: { "PHONE": { "n": 1 }, "*": { "n": 2 } } })).await;
    send_ok(&app, &alice, "two", json!({ &bob_id: { "*": { "n": 3 } } })).await;

    let (events, phone_t1) = sync(&app, &phone, Some(&phone_t0)).await;
    assert_eq!(numbers(&events), [1, 2, 3], "oldest first: {events:?}");
    assert_eq!(events[0], json!({ "type": "m.test", "sender": alice_id, "content": { "n": 1 } }));
    let (again, _) = sync(&app, &phone, Some(&phone_t0)).await;
    assert_eq!(numbers(&again), [1, 2, 3], "not acknowledged yet: delivered again");
    let (after, phone_t2) = sync(&app, &phone, Some(&phone_t1)).await;
    assert!(after.is_empty(), "acknowledged by syncing from the newer token: {after:?}");
    assert_eq!(stored(&app, &bob_id, "PHONE"), 0, "and deleted");
    let (late, _) = sync(&app, &phone, Some(&phone_t0)).await;
    assert!(late.is_empty(), "an old token does not bring deleted messages back");

    // The other devices got the `*` messages only, on their initial sync too.
    let (events, laptop_t1) = sync(&app, &laptop, None).await;
    assert_eq!(numbers(&events), [2, 3]);
    let (events, _) = sync(&app, &bob_first, None).await;
    assert_eq!(numbers(&events), [2, 3]);
    assert_eq!(stored(&app, &bob_id, "LAPTOP"), 2, "an initial sync acknowledges nothing");
    assert!(sync(&app, &laptop, Some(&laptop_t1)).await.0.is_empty());
    assert_eq!(stored(&app, &bob_id, "LAPTOP"), 0);
    assert!(sync(&app, &alice, None).await.0.is_empty(), "the sender gets nothing");

    // A message after the acknowledgement is delivered once more, to the phone only.
    send_ok(&app, &alice, "three", json!({ &bob_id: { "PHONE": { "n": 4 } } })).await;
    let (events, phone_t3) = sync(&app, &phone, Some(&phone_t2)).await;
    assert_eq!(numbers(&events), [4]);
    assert!(sync(&app, &phone, Some(&phone_t3)).await.0.is_empty());
    assert!(sync(&app, &laptop, Some(&laptop_t1)).await.0.is_empty());
}

#[tokio::test]
async fn transaction_ids_are_idempotent_per_sending_device() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let alice_laptop = login(&app, "alice", "ALICE_LAPTOP").await;
    let (bob_id, bob) = app.register("bob").await;

    send_ok(&app, &alice, "txn", json!({ &bob_id: { "*": { "n": 1 } } })).await;
    send_ok(&app, &alice, "txn", json!({ &bob_id: { "*": { "n": 2 } } })).await;
    send_ok(&app, &alice_laptop, "txn", json!({ &bob_id: { "*": { "n": 3 } } })).await;
    let (status, _) = app
        .request(
            Method::PUT,
            "/_matrix/client/r0/sendToDevice/m.test/txn",
            Some(&alice),
            Some(json!({ "messages": {} })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the r0 path is the same endpoint and the same transaction");

    let (events, _) = sync(&app, &bob, None).await;
    assert_eq!(numbers(&events), [1, 3], "the repeat was dropped, the other device's send kept: {events:?}");
}

#[tokio::test]
async fn a_long_poll_wakes_on_a_to_device_message() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (_, since) = sync(&app, &bob, None).await;

    let started = Instant::now();
    let path = format!("{V3}/sync?since={since}&timeout=20000");
    let ((status, body), ()) = tokio::join!(app.request(Method::GET, &path, Some(&bob), None), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send_ok(&app, &alice, "wake", json!({ &bob_id: { "*": { "n": 1 } } })).await;
    });
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(started.elapsed() < Duration::from_secs(10), "woken, not timed out");
    let events = body["to_device"]["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(numbers(&events), [1]);
}

#[tokio::test]
async fn logging_a_device_out_drops_its_queue() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, _) = app.register("bob").await;
    let phone = login(&app, "bob", "PHONE").await;
    send_ok(&app, &alice, "before", json!({ &bob_id: { "PHONE": { "n": 1 } } })).await;
    assert_eq!(stored(&app, &bob_id, "PHONE"), 1);

    let (status, _) = app.request(Method::POST, &format!("{V3}/logout"), Some(&phone), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored(&app, &bob_id, "PHONE"), 0, "the queue went with the device");
    send_ok(&app, &alice, "while-gone", json!({ &bob_id: { "PHONE": { "n": 2 } } })).await;

    let phone = login(&app, "bob", "PHONE").await;
    assert!(sync(&app, &phone, None).await.0.is_empty(), "a new session of the device starts empty");
}

#[tokio::test]
async fn bad_requests_are_refused_and_queue_nothing() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;

    let not_object = json!({ &bob_id: { "*": "hello" } });
    assert_error(&send(&app, &alice, "t", not_object).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let unknown_user = json!({ &bob_id: { "*": { "n": 0 } }, "@nobody:localhost": { "*": {} } });
    assert_error(&send(&app, &alice, "t", unknown_user).await, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
    assert_error(&send(&app, &alice, "t", json!({ "not a user id": {} })).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    assert_error(&send(&app, &alice, "t", json!([])).await, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let path = format!("{V3}/sendToDevice/m.test/t");
    let no_messages = app.request(Method::PUT, &path, Some(&alice), Some(json!({}))).await;
    assert_error(&no_messages, StatusCode::BAD_REQUEST, "M_BAD_JSON");
    let no_token = app.request(Method::PUT, &path, None, Some(json!({ "messages": {} }))).await;
    assert_error(&no_token, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
    assert!(sync(&app, &bob, None).await.0.is_empty(), "nothing of a refused request is queued");

    // Unknown devices and remote users are skipped, not errors; the refused requests did not
    // use up the transaction id.
    let fine = json!({
        &bob_id: { "NOSUCHDEVICE": { "n": 1 }, "*": { "n": 2 } },
        "@carol:remote.example": { "*": { "n": 3 } },
    });
    send_ok(&app, &alice, "t", fine).await;
    assert_eq!(numbers(&sync(&app, &bob, None).await.0), [2]);
}
