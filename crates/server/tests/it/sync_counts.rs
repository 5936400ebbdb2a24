//! Sync's notification counts and room summaries over incremental syncs: counts carried from
//! one sync to the next, whether the timeline was read whole, cut by its limit or filtered;
//! summaries sent when membership changed, not for every lazy-loaded member.

use http::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, encode, ok, send_text};

const V3: &str = "/_matrix/client/v3";

async fn sync(app: &TestApp, token: &str, since: Option<&str>, filter: &Value) -> Value {
    let mut path = format!("{V3}/sync?filter={}", encode(&filter.to_string()));
    if let Some(since) = since {
        path.push_str(&format!("&since={since}"));
    }
    ok(app, Method::GET, path, token, None).await
}

fn next_batch(synced: &Value) -> String {
    synced["next_batch"].as_str().expect("next_batch").to_owned()
}

fn count(synced: &Value, room_id: &str) -> Value {
    synced["rooms"]["join"][room_id]["unread_notifications"]["notification_count"].clone()
}

async fn room_with_bob(app: &TestApp) -> (String, String, String) {
    let (_, alice) = app.register("alice").await;
    let (_, bob) = app.register("bob").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    ok(app, Method::POST, format!("{V3}/join/{room_id}"), &bob, Some(json!({}))).await;
    (alice, bob, room_id)
}

/// Whichever way the timeline was read, the counts are the unread messages from others.
#[tokio::test]
async fn counts_carry_over_whole_cut_and_filtered_timelines() {
    let app = TestApp::new().await;
    let (alice, bob, room_id) = room_with_bob(&app).await;
    let whole = json!({});
    let cut = json!({ "room": { "timeline": { "limit": 1 } } });
    let filtered = json!({ "room": { "timeline": { "not_types": ["m.room.message"] } } });

    send_text(&app, &alice, &room_id, "one").await;
    let synced = sync(&app, &bob, None, &whole).await;
    assert_eq!(count(&synced, &room_id), json!(1), "{synced}");
    let mut since = next_batch(&synced);
    let mut expected = 1;
    for (filter, sent) in [(&whole, 2), (&cut, 3), (&filtered, 2), (&whole, 1)] {
        for n in 0..sent {
            send_text(&app, &alice, &room_id, &format!("message {n}")).await;
        }
        // Bob's own messages never count.
        send_text(&app, &bob, &room_id, "mine").await;
        expected += sent;
        let synced = sync(&app, &bob, Some(&since), filter).await;
        if filter == &filtered {
            // Nothing the filter lets through happened: the room is no news (as in Synapse),
            // and the messages are counted at the next sync that shows the room.
            assert!(synced["rooms"]["join"].get(&room_id).is_none(), "{synced}");
        } else {
            assert_eq!(count(&synced, &room_id), json!(expected), "after {filter}: {synced}");
        }
        since = next_batch(&synced);
    }
    let timeline = &sync(&app, &bob, None, &cut).await["rooms"]["join"][&room_id]["timeline"];
    assert_eq!(timeline["limited"], json!(true), "the cut filter did cut: {timeline}");
}

/// A lazy-loading client gets the senders' member events again with every message; that is
/// no membership change, so no summary. A join is one.
#[tokio::test]
async fn summaries_follow_membership_changes_not_lazy_loaded_members() {
    let app = TestApp::new().await;
    let (alice, bob, room_id) = room_with_bob(&app).await;
    let lazy = json!({ "room": { "state": { "lazy_load_members": true } } });
    let synced = sync(&app, &bob, None, &lazy).await;
    assert_eq!(synced["rooms"]["join"][&room_id]["summary"]["m.joined_member_count"], json!(2), "{synced}");

    send_text(&app, &alice, &room_id, "hello").await;
    let synced = sync(&app, &bob, Some(&next_batch(&synced)), &lazy).await;
    let room = &synced["rooms"]["join"][&room_id];
    let state = room["state"]["events"].as_array().expect("state");
    assert!(state.iter().any(|e| e["type"] == "m.room.member"), "the sender's member event is resent: {room}");
    assert!(room.get("summary").is_none(), "no summary without a membership change: {room}");

    let (_, carol) = app.register("carol").await;
    ok(&app, Method::POST, format!("{V3}/join/{room_id}"), &carol, Some(json!({}))).await;
    let synced = sync(&app, &bob, Some(&next_batch(&synced)), &lazy).await;
    assert_eq!(synced["rooms"]["join"][&room_id]["summary"]["m.joined_member_count"], json!(3), "{synced}");
}
