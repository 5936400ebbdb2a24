//! End-to-end encryption keys at the HTTP level: uploads with real ed25519 signatures, queries,
//! atomic claims, one-time and fallback key reporting in sync, device-list changes (sync and
//! `/keys/changes`), cross-signing and signature uploads.

use std::{collections::BTreeSet, sync::Arc};

use http::{Method, StatusCode};
use ruma::{
    CanonicalJsonObject,
    serde::{Base64, base64::Standard},
    signatures::{Ed25519KeyPair, sign_json},
};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, encode};

const V3: &str = "/_matrix/client/v3";

async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    app.request(method, &format!("{V3}{path}"), Some(token), body).await
}

async fn ok(result: (StatusCode, Value)) -> Value {
    assert_eq!(result.0, StatusCode::OK, "body: {}", result.1);
    result.1
}

fn key_pair(version: &str) -> Ed25519KeyPair {
    Ed25519KeyPair::from_der(&Ed25519KeyPair::generate(), version.to_owned()).expect("key pair")
}

fn public(key: &Ed25519KeyPair) -> String {
    Base64::<Standard>::new(key.public_key().to_vec()).encode()
}

/// `value` signed by `signer` with `key` (whose version names it: `ed25519:<version>`).
fn signed(signer: &str, key: &Ed25519KeyPair, value: Value) -> Value {
    let mut object: CanonicalJsonObject = serde_json::from_value(value).expect("canonical object");
    sign_json(signer, key, &mut object).expect("sign");
    serde_json::to_value(object).expect("json")
}

/// A logged-in device with its own ed25519 key.
struct Device {
    user: String,
    id: String,
    token: String,
    key: Ed25519KeyPair,
    /// Stands for the device's curve25519 identity key (any 32 bytes do for the server).
    curve: String,
}

impl Device {
    /// Registers `localpart` and takes the device registration created.
    async fn register(app: &TestApp, localpart: &str) -> Self {
        let (user, token) = app.register(localpart).await;
        let whoami = ok(call(app, Method::GET, "/account/whoami", &token, None).await).await;
        let id = whoami["device_id"].as_str().expect("device_id").to_owned();
        Self { key: key_pair(&id), curve: public(&key_pair("c")), user, id, token }
    }

    /// Logs `localpart` in again as a new device `id`.
    async fn login(app: &TestApp, localpart: &str, id: &str) -> Self {
        let body = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": localpart },
                           "password": format!("password-{localpart}"), "device_id": id });
        let (status, body) = app.request(Method::POST, &format!("{V3}/login"), None, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "login: {body}");
        let user = body["user_id"].as_str().expect("user_id").to_owned();
        let token = body["access_token"].as_str().expect("token").to_owned();
        Self { key: key_pair(id), curve: public(&key_pair("c")), user, id: id.to_owned(), token }
    }

    fn device_keys(&self) -> Value {
        let unsigned = json!({
            "user_id": self.user, "device_id": self.id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": { format!("curve25519:{}", self.id): self.curve, format!("ed25519:{}", self.id): public(&self.key) },
        });
        signed(&self.user, &self.key, unsigned)
    }

    fn one_time_key(&self, fallback: bool) -> Value {
        let mut key = json!({ "key": public(&key_pair("c")) });
        if fallback {
            key["fallback"] = json!(true);
        }
        signed(&self.user, &self.key, key)
    }

    async fn upload(&self, app: &TestApp, body: Value) -> (StatusCode, Value) {
        call(app, Method::POST, "/keys/upload", &self.token, Some(body)).await
    }

    /// Uploads device keys, `count` one-time keys and a fallback key.
    async fn upload_all(&self, app: &TestApp, count: usize) -> Value {
        let otks: serde_json::Map<String, Value> =
            (0..count).map(|i| (format!("signed_curve25519:{}{i}", self.id), self.one_time_key(false))).collect();
        let fallback = json!({ format!("signed_curve25519:{}F", self.id): self.one_time_key(true) });
        let body = json!({ "device_keys": self.device_keys(), "one_time_keys": otks, "fallback_keys": fallback });
        ok(self.upload(app, body).await).await
    }
}

async fn query(app: &TestApp, token: &str, users: Value) -> Value {
    ok(call(app, Method::POST, "/keys/query", token, Some(json!({ "device_keys": users }))).await).await
}

async fn claim(app: &TestApp, token: &str, user: &str, device: &str) -> Value {
    let body = json!({ "one_time_keys": { user: { device: "signed_curve25519" } } });
    ok(call(app, Method::POST, "/keys/claim", token, Some(body)).await).await
}

async fn sync(app: &TestApp, token: &str, since: Option<&str>) -> Value {
    let query = since.map_or_else(|| "timeout=0".to_owned(), |s| format!("timeout=0&since={}", encode(s)));
    ok(call(app, Method::GET, &format!("/sync?{query}"), token, None).await).await
}

fn users(list: &Value) -> Vec<String> {
    let mut users: Vec<String> =
        list.as_array().expect("list").iter().map(|u| u.as_str().expect("id").into()).collect();
    users.sort();
    users
}

#[tokio::test]
async fn upload_and_query_round_trip() {
    let app = TestApp::new().await;
    let alice = Device::register(&app, "alice").await;
    let bob = Device::register(&app, "bob").await;
    let response = alice.upload_all(&app, 3).await;
    assert_eq!(response["one_time_key_counts"], json!({ "signed_curve25519": 3 }));
    let empty = ok(bob.upload(&app, json!({})).await).await;
    assert_eq!(empty["one_time_key_counts"], json!({ "signed_curve25519": 0 }), "zero tells clients to upload");

    let all = query(
        &app,
        &bob.token,
        json!({ &alice.user: [], &bob.user: [], "@nobody:localhost": [], "@x:elsewhere.test": [] }),
    )
    .await;
    let keys = &all["device_keys"][&alice.user][&alice.id];
    let uploaded = alice.device_keys();
    for field in ["user_id", "device_id", "algorithms", "keys", "signatures"] {
        assert_eq!(keys[field], uploaded[field], "{field} round-trips");
    }
    assert_eq!(all["device_keys"][&bob.user], json!({}), "no keys uploaded yet");
    assert_eq!(all["device_keys"]["@nobody:localhost"], json!({}));
    assert_eq!(all["failures"]["elsewhere.test"]["status"], 503, "remote servers are failures: {all}");

    let one = query(&app, &bob.token, json!({ &alice.user: [&alice.id, "UNKNOWN"] })).await;
    assert_eq!(one["device_keys"][&alice.user].as_object().expect("devices").len(), 1);
    let none = query(&app, &bob.token, json!({ &alice.user: ["UNKNOWN"] })).await;
    assert_eq!(none["device_keys"][&alice.user], json!({}));
}

#[tokio::test]
async fn uploads_with_wrong_ids_or_signatures_are_refused() {
    let app = TestApp::new().await;
    let alice = Device::register(&app, "alice").await;
    let bob = Device::register(&app, "bob").await;
    let refused = |result: (StatusCode, Value)| assert_error(&result, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");

    let otk = json!({ "one_time_keys": { "signed_curve25519:A": alice.one_time_key(false) } });
    refused(alice.upload(&app, otk.clone()).await);
    let mut keys = alice.device_keys();
    keys["user_id"] = json!(bob.user);
    refused(alice.upload(&app, json!({ "device_keys": keys })).await);
    refused(alice.upload(&app, json!({ "device_keys": bob.device_keys() })).await);
    let mut keys = alice.device_keys();
    keys["device_id"] = json!("OTHER");
    refused(alice.upload(&app, json!({ "device_keys": keys })).await);
    let mut tampered = alice.device_keys();
    tampered["algorithms"] = json!(["m.megolm.v1.aes-sha2"]);
    let result = alice.upload(&app, json!({ "device_keys": tampered })).await;
    refused(result.clone());
    assert!(result.1["error"].as_str().expect("message").contains("signed"), "a clear message: {}", result.1);
    let mut forged = alice.device_keys();
    let impostor = Device {
        key: key_pair(&alice.id),
        curve: alice.curve.clone(),
        token: String::new(),
        user: alice.user.clone(),
        id: alice.id.clone(),
    };
    forged["signatures"] = impostor.device_keys()["signatures"].clone();
    refused(alice.upload(&app, json!({ "device_keys": forged })).await);
    assert!(query(&app, &bob.token, json!({ &alice.user: [] })).await["device_keys"][&alice.user] == json!({}));

    ok(alice.upload(&app, json!({ "device_keys": alice.device_keys() })).await).await;
    ok(alice.upload(&app, otk.clone()).await).await;
    ok(alice.upload(&app, otk).await).await;
    let counts = ok(alice.upload(&app, json!({})).await).await;
    assert_eq!(counts["one_time_key_counts"]["signed_curve25519"], 1, "an identical re-upload is a no-op");
    refused(alice.upload(&app, json!({ "one_time_keys": { "signed_curve25519:A": alice.one_time_key(false) } })).await);
    refused(alice.upload(&app, json!({ "one_time_keys": { "signed_curve25519:B": bob.one_time_key(false) } })).await);
    refused(alice.upload(&app, json!({ "one_time_keys": { "signed_curve25519:C": "unsigned" } })).await);
    refused(
        alice
            .upload(&app, json!({ "fallback_keys": { "signed_curve25519:F": { "key": "x", "fallback": true } } }))
            .await,
    );
    let (status, _) = alice.upload(&app, json!({ "one_time_keys": { "no-colon": "x" } })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn key_counts_and_fallback_keys_in_sync() {
    let app = TestApp::new().await;
    let alice = Device::register(&app, "alice").await;
    let bob = Device::register(&app, "bob").await;
    alice.upload_all(&app, 2).await;
    let initial = sync(&app, &alice.token, None).await;
    assert_eq!(initial["device_one_time_keys_count"]["signed_curve25519"], 2);
    assert_eq!(initial["device_unused_fallback_key_types"], json!(["signed_curve25519"]));

    let claimed = claim(&app, &bob.token, &alice.user, &alice.id).await;
    let keys = claimed["one_time_keys"][&alice.user][&alice.id].as_object().expect("keys").clone();
    assert_eq!(keys.len(), 1);
    let (key_id, key) = keys.iter().next().expect("one key");
    assert!(key_id.starts_with("signed_curve25519:") && key.get("fallback").is_none(), "a one-time key: {key}");
    claim(&app, &bob.token, &alice.user, &alice.id).await;
    let after = sync(&app, &alice.token, None).await;
    assert_eq!(after["device_one_time_keys_count"]["signed_curve25519"], 0);
    assert_eq!(after["device_unused_fallback_key_types"], json!(["signed_curve25519"]));

    let fallback = claim(&app, &bob.token, &alice.user, &alice.id).await;
    let key = &fallback["one_time_keys"][&alice.user][&alice.id][format!("signed_curve25519:{}F", alice.id)];
    assert_eq!(key["fallback"], true, "the fallback key once one-time keys ran out: {fallback}");
    let again = claim(&app, &bob.token, &alice.user, &alice.id).await;
    assert_eq!(again["one_time_keys"], fallback["one_time_keys"], "handed out again");
    let used = sync(&app, &alice.token, None).await;
    assert_eq!(used["device_unused_fallback_key_types"], json!([]), "flagged used");
    let nothing = claim(&app, &alice.token, &bob.user, &bob.id).await;
    assert_eq!(nothing["one_time_keys"], json!({}));
    let remote = json!({ "one_time_keys": { "@x:elsewhere.test": { "D": "signed_curve25519" } } });
    let remote = ok(call(&app, Method::POST, "/keys/claim", &alice.token, Some(remote)).await).await;
    assert_eq!(remote["failures"]["elsewhere.test"]["status"], 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_share_a_one_time_key() {
    let app = Arc::new(TestApp::new().await);
    let alice = Device::register(&app, "alice").await;
    let bob = Device::register(&app, "bob").await;
    alice.upload_all(&app, 5).await;
    let claims: Vec<_> = (0..20)
        .map(|_| {
            let (app, token, user, device) =
                (Arc::clone(&app), bob.token.clone(), alice.user.clone(), alice.id.clone());
            tokio::spawn(async move { claim(&app, &token, &user, &device).await })
        })
        .collect();
    let mut one_time = Vec::new();
    let mut fallbacks = 0;
    for handle in claims {
        let response = handle.await.expect("claim task");
        let keys =
            response["one_time_keys"][&alice.user][&alice.id].as_object().expect("a key for every claim").clone();
        assert_eq!(keys.len(), 1);
        for (key_id, key) in keys {
            if key.get("fallback") == Some(&json!(true)) {
                assert_eq!(key_id, format!("signed_curve25519:{}F", alice.id));
                fallbacks += 1;
            } else {
                one_time.push(key_id);
            }
        }
    }
    let distinct: BTreeSet<&String> = one_time.iter().collect();
    assert_eq!((one_time.len(), distinct.len(), fallbacks), (5, 5, 15), "no one-time key twice: {one_time:?}");
}

#[tokio::test]
async fn device_list_changes_follow_keys_devices_and_rooms() {
    let app = TestApp::new().await;
    let alice = Device::register(&app, "alice").await;
    let bob = Device::register(&app, "bob").await;
    let carol = Device::register(&app, "carol").await;
    let room = app.create_room(&alice.token, json!({ "preset": "public_chat" })).await;
    ok(call(&app, Method::POST, &format!("/join/{room}"), &bob.token, Some(json!({}))).await).await;
    let changes = |from: &str, to: &str| format!("/keys/changes?from={}&to={}", encode(from), encode(to));

    let a0 = sync(&app, &alice.token, None).await["next_batch"].as_str().expect("token").to_owned();
    let c0 = sync(&app, &carol.token, None).await["next_batch"].as_str().expect("token").to_owned();
    bob.upload_all(&app, 1).await;
    let a1 = sync(&app, &alice.token, Some(&a0)).await;
    assert_eq!(users(&a1["device_lists"]["changed"]), [bob.user.as_str()], "a contact's new keys: {a1}");
    let c1 = sync(&app, &carol.token, Some(&c0)).await;
    assert_eq!(c1["device_lists"], json!({ "changed": [], "left": [] }), "strangers are not told");
    let a1 = a1["next_batch"].as_str().expect("token").to_owned();
    let listed = ok(call(&app, Method::GET, &changes(&a0, &a1), &alice.token, None).await).await;
    assert_eq!(users(&listed["changed"]), [bob.user.as_str()]);
    let listed = ok(call(&app, Method::GET, &changes(&a1, &a1), &alice.token, None).await).await;
    assert_eq!(listed, json!({ "changed": [], "left": [] }));
    assert_error(
        &call(&app, Method::GET, &changes("junk", &a1), &alice.token, None).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_PARAM",
    );

    let bob2 = Device::login(&app, "bob", "BOBPHONE").await;
    bob2.upload_all(&app, 1).await;
    let a2 = sync(&app, &alice.token, Some(&a1)).await;
    assert_eq!(users(&a2["device_lists"]["changed"]), [bob.user.as_str()], "a new device: {a2}");
    let keys = query(&app, &alice.token, json!({ &bob.user: [] })).await;
    assert_eq!(keys["device_keys"][&bob.user].as_object().expect("devices").len(), 2);
    let a2 = a2["next_batch"].as_str().expect("token").to_owned();

    let auth = json!({ "auth": { "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "bob" },
                                 "password": "password-bob" } });
    ok(call(&app, Method::DELETE, "/devices/BOBPHONE", &bob.token, Some(auth)).await).await;
    let a3 = sync(&app, &alice.token, Some(&a2)).await;
    assert_eq!(users(&a3["device_lists"]["changed"]), [bob.user.as_str()], "a deleted device: {a3}");
    let keys = query(&app, &alice.token, json!({ &bob.user: [] })).await;
    assert!(keys["device_keys"][&bob.user].get("BOBPHONE").is_none(), "its keys are gone: {keys}");
    let a3 = a3["next_batch"].as_str().expect("token").to_owned();

    ok(call(&app, Method::POST, &format!("/rooms/{room}/leave"), &bob.token, Some(json!({}))).await).await;
    let a4 = sync(&app, &alice.token, Some(&a3)).await;
    assert_eq!(a4["device_lists"], json!({ "changed": [], "left": [bob.user.clone()] }), "the last shared room left");
    let a4 = a4["next_batch"].as_str().expect("token").to_owned();
    let listed = ok(call(&app, Method::GET, &changes(&a0, &a4), &alice.token, None).await).await;
    assert_eq!(listed, json!({ "changed": [], "left": [bob.user.clone()] }));

    ok(call(&app, Method::POST, &format!("/join/{room}"), &carol.token, Some(json!({}))).await).await;
    let a5 = sync(&app, &alice.token, Some(&a4)).await;
    assert_eq!(users(&a5["device_lists"]["changed"]), [carol.user.as_str()], "a newcomer: {a5}");
}

/// A cross-signing key of `user` with `usage`, signed by `signer` when given.
fn cross_signing_key(user: &str, usage: &str, key: &Ed25519KeyPair, signer: Option<&Ed25519KeyPair>) -> Value {
    let public = public(key);
    let value = json!({ "user_id": user, "usage": [usage], "keys": { format!("ed25519:{public}"): public } });
    signer.map_or(value.clone(), |signer| signed(user, signer, value))
}

/// A key pair whose version is its public key, as cross-signing key ids are.
fn cross_signing_pair() -> Ed25519KeyPair {
    let der = Ed25519KeyPair::generate();
    let public = public(&Ed25519KeyPair::from_der(&der, String::new()).expect("key pair"));
    Ed25519KeyPair::from_der(&der, public).expect("key pair")
}

#[tokio::test]
async fn cross_signing_and_signature_uploads() {
    let app = TestApp::new().await;
    let alice = Device::register(&app, "alice").await;
    let bob = Device::register(&app, "bob").await;
    alice.upload_all(&app, 1).await;
    let (master, ssk, usk) = (cross_signing_pair(), cross_signing_pair(), cross_signing_pair());
    let upload = |master: &Ed25519KeyPair, auth: Option<Value>| {
        let mut body = json!({
            "master_key": cross_signing_key(&alice.user, "master", master, None),
            "self_signing_key": cross_signing_key(&alice.user, "self_signing", &ssk, Some(master)),
            "user_signing_key": cross_signing_key(&alice.user, "user_signing", &usk, Some(master)),
        });
        if let Some(auth) = auth {
            body["auth"] = auth;
        }
        body
    };
    let path = "/keys/device_signing/upload";
    let bad = json!({ "self_signing_key": cross_signing_key(&bob.user, "self_signing", &ssk, Some(&master)) });
    assert_error(
        &call(&app, Method::POST, path, &bob.token, Some(bad)).await,
        StatusCode::BAD_REQUEST,
        "M_MISSING_PARAM",
    );
    let mut unsigned = upload(&master, None);
    unsigned["self_signing_key"] = cross_signing_key(&alice.user, "self_signing", &ssk, Some(&usk));
    assert_error(
        &call(&app, Method::POST, path, &alice.token, Some(unsigned)).await,
        StatusCode::BAD_REQUEST,
        "M_INVALID_SIGNATURE",
    );

    ok(call(&app, Method::POST, path, &alice.token, Some(upload(&master, None))).await).await;
    ok(call(&app, Method::POST, path, &alice.token, Some(upload(&master, None))).await).await;
    let own = query(&app, &alice.token, json!({ &alice.user: [] })).await;
    let theirs = query(&app, &bob.token, json!({ &alice.user: [] })).await;
    for keys in [&own, &theirs] {
        assert_eq!(
            keys["master_keys"][&alice.user]["keys"],
            json!({ format!("ed25519:{}", public(&master)): public(&master) })
        );
        assert_eq!(keys["self_signing_keys"][&alice.user]["usage"], json!(["self_signing"]));
    }
    assert_eq!(own["user_signing_keys"][&alice.user]["usage"], json!(["user_signing"]));
    assert!(theirs.get("user_signing_keys").is_none_or(|k| k.get(&alice.user).is_none()), "private: {theirs}");

    let new_master = cross_signing_pair();
    let (status, challenge) = call(&app, Method::POST, path, &alice.token, Some(upload(&new_master, None))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "replacing keys needs authentication: {challenge}");
    assert_eq!(challenge["flows"][0]["stages"], json!(["m.login.password"]));
    let auth = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" },
                       "password": "password-alice", "session": challenge["session"] });
    ok(call(&app, Method::POST, path, &alice.token, Some(upload(&new_master, Some(auth)))).await).await;
    let keys = query(&app, &bob.token, json!({ &alice.user: [] })).await;
    assert!(keys["master_keys"][&alice.user]["keys"].get(format!("ed25519:{}", public(&new_master))).is_some());

    // Bob gets a master key to be signed; Alice signs her device (valid) and Bob's master key
    // with the wrong key (invalid).
    let bob_master = cross_signing_pair();
    let bob_master_key = cross_signing_key(&bob.user, "master", &bob_master, None);
    ok(call(&app, Method::POST, path, &bob.token, Some(json!({ "master_key": bob_master_key }))).await).await;
    let device = signed(&alice.user, &ssk, alice.device_keys());
    let forged = signed(&alice.user, &ssk, bob_master_key.clone());
    let body = json!({ &alice.user: { &alice.id: device }, &bob.user: { public(&bob_master): forged } });
    let response = ok(call(&app, Method::POST, "/keys/signatures/upload", &alice.token, Some(body)).await).await;
    let failure = &response["failures"][&bob.user][public(&bob_master)];
    assert_eq!(failure["errcode"], "M_INVALID_SIGNATURE", "{response}");
    assert!(response["failures"].get(&alice.user).is_none(), "the valid one is not a failure: {response}");
    let keys = query(&app, &bob.token, json!({ &alice.user: [] })).await;
    let signatures = &keys["device_keys"][&alice.user][&alice.id]["signatures"][&alice.user];
    assert!(signatures.get(format!("ed25519:{}", public(&ssk))).is_some(), "merged into the device keys: {keys}");

    let genuine = signed(&alice.user, &usk, bob_master_key);
    let body = json!({ &bob.user: { public(&bob_master): genuine } });
    let response = ok(call(&app, Method::POST, "/keys/signatures/upload", &alice.token, Some(body)).await).await;
    assert!(response.get("failures").is_none_or(|f| f == &json!({})), "{response}");
    let usk_id = format!("ed25519:{}", public(&usk));
    let seen_by_alice = query(&app, &alice.token, json!({ &bob.user: [] })).await;
    assert!(
        seen_by_alice["master_keys"][&bob.user]["signatures"][&alice.user].get(&usk_id).is_some(),
        "{seen_by_alice}"
    );
    let seen_by_bob = query(&app, &bob.token, json!({ &bob.user: [] })).await;
    assert!(seen_by_bob["master_keys"][&bob.user]["signatures"].get(&alice.user).is_none(), "private to the signer");
}
