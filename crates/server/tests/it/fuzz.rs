//! Property tests: arbitrary JSON bodies sent to endpoints that parse client input never make
//! the server panic or answer 500.

use http::{Method, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::support::TestApp;

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("@alice:localhost"),
            Just("!room:localhost"),
            Just("m.room.message"),
            Just("$event"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type"),
                        Just("content"),
                        Just("invite"),
                        Just("preset"),
                        Just("initial_state"),
                        Just("user_id"),
                        Just("membership"),
                        Just("body"),
                        Just("msgtype"),
                        Just("name"),
                        Just("room_version"),
                        Just("power_level_content_override"),
                        Just("auth"),
                        Just("password"),
                        Just("identifier"),
                        Just("state_key"),
                        Just("reason"),
                    ]
                    .prop_map(str::to_owned),
                    inner,
                ),
                0..6,
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[test]
fn arbitrary_bodies_never_cause_server_errors() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (app, token, room) = runtime.block_on(async {
        let app = TestApp::new().await;
        let (_, token) = app.register("alice").await;
        let room = app.create_room(&token, serde_json::json!({})).await;
        (app, token, room)
    });
    let endpoints = [
        (Method::POST, "/_matrix/client/v3/createRoom".to_owned()),
        (Method::POST, "/_matrix/client/v3/login".to_owned()),
        (Method::POST, "/_matrix/client/v3/register".to_owned()),
        (Method::PUT, format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/fuzz")),
        (Method::PUT, format!("/_matrix/client/v3/rooms/{room}/state/m.room.power_levels/")),
        (Method::PUT, format!("/_matrix/client/v3/rooms/{room}/state/m.room.member/@bob:localhost")),
        (Method::POST, format!("/_matrix/client/v3/rooms/{room}/invite")),
        (Method::POST, "/_matrix/client/v3/user_directory/search".to_owned()),
        (Method::POST, "/_matrix/client/v3/user/@alice:localhost/filter".to_owned()),
        (Method::POST, "/_matrix/client/v3/pushers/set".to_owned()),
        (Method::POST, "/_matrix/client/v3/keys/upload".to_owned()),
        (Method::POST, "/_matrix/client/v3/keys/query".to_owned()),
        (Method::POST, "/_matrix/client/v3/keys/claim".to_owned()),
        (Method::PUT, "/_matrix/client/v3/sendToDevice/m.test/fuzz".to_owned()),
    ];
    let config = ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(body in arbitrary_json(), which in 0..endpoints.len(), txn in 0u32..1_000_000)| {
        let (method, path) = &endpoints[which];
        let path = path.replace("/fuzz", &format!("/fuzz{txn}"));
        let (status, response) = runtime.block_on(app.request(method.clone(), &path, Some(&token), Some(body.clone())));
        prop_assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{method} {path} with {body} gave 500: {response}");
    });
}
