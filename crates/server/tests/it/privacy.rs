//! The closed platform: nothing but discovery is served anonymously, the user directory and
//! profiles show only users one may discover, and both are held to a per-account read budget.

use http::{Method, StatusCode};
use ruma::OwnedUserId;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, encode};

const V3: &str = "/_matrix/client/v3";

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.request(Method::GET, &format!("{V3}{path}"), Some(token), None).await
}

async fn join(app: &TestApp, token: &str, room_id: &str) {
    let (status, body) = app.request(Method::POST, &format!("{V3}/join/{room_id}"), Some(token), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "join: {body}");
}

async fn set_displayname(app: &TestApp, user_id: &str, token: &str, name: &str) {
    let path = format!("{V3}/profile/{user_id}/displayname");
    let (status, body) = app.request(Method::PUT, &path, Some(token), Some(json!({ "displayname": name }))).await;
    assert_eq!(status, StatusCode::OK, "set displayname: {body}");
}

async fn search(app: &TestApp, token: &str, term: &str, limit: u64) -> (StatusCode, Value) {
    let body = json!({ "search_term": term, "limit": limit });
    app.request(Method::POST, &format!("{V3}/user_directory/search"), Some(token), Some(body)).await
}

/// The user ids a successful search found.
async fn found(app: &TestApp, token: &str, term: &str) -> Vec<String> {
    let (status, body) = search(app, token, term, 50).await;
    assert_eq!(status, StatusCode::OK, "search {term}: {body}");
    ids(&body)
}

fn ids(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|u| u["user_id"].as_str().map(ToOwned::to_owned)).collect())
        .unwrap_or_default()
}

fn user_id(id: &str) -> OwnedUserId {
    OwnedUserId::try_from(id).expect("user id")
}

#[tokio::test]
async fn only_discovery_is_served_without_a_token() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let room_id = app.create_room(&alice, json!({ "preset": "public_chat", "room_alias_name": "forum" })).await;
    assert_eq!(
        app.request(
            Method::PUT,
            &format!("{V3}/directory/list/room/{room_id}"),
            Some(&alice),
            Some(json!({ "visibility": "public" }))
        )
        .await
        .0,
        StatusCode::OK
    );

    let closed = [
        (Method::GET, format!("{V3}/publicRooms"), None),
        (Method::GET, format!("{V3}/publicRooms?limit=5"), None),
        (Method::POST, format!("{V3}/publicRooms"), Some(json!({}))),
        (Method::GET, format!("{V3}/profile/{alice_id}"), None),
        (Method::GET, format!("{V3}/profile/{alice_id}/displayname"), None),
        (Method::GET, format!("{V3}/profile/{alice_id}/avatar_url"), None),
        (Method::GET, format!("{V3}/profile/{alice_id}/m.tz"), None),
        (Method::GET, format!("/_matrix/client/r0/profile/{alice_id}"), None),
        (Method::POST, format!("{V3}/user_directory/search"), Some(json!({ "search_term": "alice" }))),
    ];
    for (method, path, body) in closed {
        let result = app.request(method.clone(), &path, None, body.clone()).await;
        assert_error(&result, StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN");
        let result = app.request(method.clone(), &path, Some("not-a-token"), body).await;
        assert_error(&result, StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN");
    }
    // The same reads with a token work.
    let (status, rooms) = get(&app, "/publicRooms", &alice).await;
    assert_eq!((status, rooms["chunk"][0]["room_id"].as_str()), (StatusCode::OK, Some(room_id.as_str())), "{rooms}");

    // Discovery, login and the deliberately public directory lookups stay open.
    for path in ["/_matrix/client/versions", "/.well-known/matrix/client", "/_matrix/client/v3/login"] {
        let (status, body) = app.request(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let alias = encode("#forum:localhost");
    let (status, resolved) = app.request(Method::GET, &format!("{V3}/directory/room/{alias}"), None, None).await;
    assert_eq!((status, resolved["room_id"].as_str()), (StatusCode::OK, Some(room_id.as_str())), "{resolved}");
    let (status, listed) = app.request(Method::GET, &format!("{V3}/directory/list/room/{room_id}"), None, None).await;
    assert_eq!((status, listed["visibility"].as_str()), (StatusCode::OK, Some("public")), "{listed}");
}

#[tokio::test]
async fn directory_search_finds_only_discoverable_active_accounts() {
    let app = TestApp::new().await;
    let (_, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (carol_id, carol) = app.register("carol").await;
    let (_, _dave) = app.register("dave").await;
    let (erin_id, _erin) = app.register("erin").await;
    let (frank_id, frank) = app.register("frank").await;
    let (grace_id, grace) = app.register("grace").await;
    for (id, token, name) in [(&bob_id, &bob, "Bobby Tables"), (&carol_id, &carol, "Carol Forum")] {
        set_displayname(&app, id, token, name).await;
    }

    // bob shares a private room with alice; erin is only invited into another of hers.
    let private = app.create_room(&alice, json!({ "invite": [bob_id] })).await;
    join(&app, &bob, &private).await;
    app.create_room(&alice, json!({ "invite": [erin_id] })).await;
    // carol, frank and grace are in a public room alice is not in; dave is in no room at all.
    let forum = app.create_room(&carol, json!({ "preset": "public_chat" })).await;
    join(&app, &frank, &forum).await;
    join(&app, &grace, &forum).await;

    assert_eq!(found(&app, &alice, "TABLES").await, [bob_id.as_str()], "a room peer, by display name");
    assert_eq!(found(&app, &alice, "erin").await, [erin_id.as_str()], "an invited room peer");
    assert_eq!(found(&app, &alice, "carol forum").await, [carol_id.as_str()], "a public-room member");
    assert_eq!(found(&app, &alice, "frank").await, [frank_id.as_str()]);
    assert_eq!(found(&app, &alice, "grace").await, [grace_id.as_str()]);
    assert!(found(&app, &alice, "dave").await.is_empty(), "a user in no shared or public room is not found");
    assert!(found(&app, &alice, "nobody").await.is_empty());

    app.services.set_locked("cli", &user_id(&frank_id), true).expect("lock");
    app.services.deactivate_account("cli", &user_id(&grace_id), false).await.expect("deactivate");
    assert!(found(&app, &alice, "frank").await.is_empty(), "locked accounts are not listed");
    assert!(found(&app, &alice, "grace").await.is_empty(), "deactivated accounts are not listed");
    assert!(found(&app, &bob, "frank").await.is_empty());
    app.services.set_locked("cli", &user_id(&frank_id), false).expect("unlock");
    assert_eq!(found(&app, &alice, "frank").await, [frank_id], "unlocking lists the account again");

    // Room peers come before users who are only in public rooms.
    let everyone = found(&app, &alice, "localhost").await;
    assert_eq!(everyone[..3], ["@alice:localhost".to_owned(), bob_id, erin_id], "{everyone:?}");
}

#[tokio::test]
async fn directory_search_needs_a_long_enough_term_and_caps_results() {
    let app = TestApp::with_config(|c| {
        c.directory.min_search_chars = 4;
        c.directory.max_results = 2;
    })
    .await;
    let (_, alice) = app.register("alice").await;
    let forum = app.create_room(&alice, json!({ "preset": "public_chat" })).await;
    for name in ["member1", "member2", "member3"] {
        let (_, token) = app.register(name).await;
        join(&app, &token, &forum).await;
    }

    for short in ["mem", "  me  ", "", "éé"] {
        let result = search(&app, &alice, short, 10).await;
        assert_error(&result, StatusCode::BAD_REQUEST, "M_INVALID_PARAM");
        assert!(result.1["error"].as_str().is_some_and(|e| e.contains("at least 4 characters")), "{}", result.1);
    }
    // Characters, not bytes, are counted.
    assert_eq!(search(&app, &alice, "éééé", 10).await.0, StatusCode::OK);

    let (status, capped) = search(&app, &alice, "member", 10).await;
    assert_eq!(status, StatusCode::OK, "{capped}");
    assert_eq!((ids(&capped).len(), &capped["limited"]), (2, &json!(true)), "the server's cap wins: {capped}");
    let (_, one) = search(&app, &alice, "member", 1).await;
    assert_eq!((ids(&one).len(), &one["limited"]), (1, &json!(true)), "a smaller client limit wins: {one}");
    let (_, exact) = search(&app, &alice, "member3", 10).await;
    assert_eq!((ids(&exact), &exact["limited"]), (vec!["@member3:localhost".to_owned()], &json!(false)));
}

#[tokio::test]
async fn profiles_are_shown_only_to_those_who_may_discover_their_owner() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (carol_id, carol) = app.register("carol").await;
    let (dave_id, dave) = app.register("dave").await;
    let (erin_id, erin) = app.register("erin").await;
    let (frank_id, frank) = app.register("frank").await;
    set_displayname(&app, &alice_id, &alice, "Alice").await;
    set_displayname(&app, &bob_id, &bob, "Bob").await;
    set_displayname(&app, &dave_id, &dave, "Dave").await;

    // One's own profile, in no room at all.
    assert_eq!(
        get(&app, &format!("/profile/{alice_id}"), &alice).await,
        (StatusCode::OK, json!({ "displayname": "Alice" }))
    );

    let private = app.create_room(&alice, json!({ "invite": [bob_id, frank_id] })).await;
    join(&app, &bob, &private).await;
    join(&app, &frank, &private).await;
    app.create_room(&carol, json!({ "preset": "public_chat" })).await;
    app.create_room(&alice, json!({ "invite": [erin_id] })).await;

    // A room peer, on every read path.
    assert_eq!(
        get(&app, &format!("/profile/{bob_id}"), &alice).await,
        (StatusCode::OK, json!({ "displayname": "Bob" }))
    );
    assert_eq!(
        get(&app, &format!("/profile/{bob_id}/displayname"), &alice).await,
        (StatusCode::OK, json!({ "displayname": "Bob" }))
    );
    assert_eq!(get(&app, &format!("/profile/{bob_id}/avatar_url"), &alice).await, (StatusCode::OK, json!({})));
    // A member of a public room, by anyone.
    assert_eq!(get(&app, &format!("/profile/{carol_id}/displayname"), &dave).await.0, StatusCode::OK);
    // An invitation counts, both ways.
    assert_eq!(get(&app, &format!("/profile/{alice_id}"), &erin).await.0, StatusCode::OK);
    assert_eq!(get(&app, &format!("/profile/{erin_id}"), &alice).await.0, StatusCode::OK);

    // A stranger and an id that names no account get the same answer: nothing tells them apart.
    for path in [
        format!("/profile/{dave_id}"),
        format!("/profile/{dave_id}/displayname"),
        format!("/profile/{dave_id}/avatar_url"),
    ] {
        assert_error(&get(&app, &path, &alice).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    }
    assert_error(&get(&app, &format!("/profile/{alice_id}"), &dave).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");
    let stranger = get(&app, &format!("/profile/{dave_id}"), &alice).await;
    assert_eq!(get(&app, "/profile/@nobody:localhost", &alice).await, stranger);
    assert_eq!(get(&app, "/profile/@nobody:elsewhere.example", &alice).await, stranger);

    // A locked room peer has no profile to show.
    app.services.set_locked("cli", &user_id(&frank_id), true).expect("lock");
    assert_error(&get(&app, &format!("/profile/{frank_id}"), &alice).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    assert_error(
        &get(&app, &format!("/profile/{frank_id}/displayname"), &bob).await,
        StatusCode::NOT_FOUND,
        "M_NOT_FOUND",
    );
    app.services.set_locked("cli", &user_id(&frank_id), false).expect("unlock");
    assert_eq!(get(&app, &format!("/profile/{frank_id}"), &alice).await.0, StatusCode::OK);

    // A deactivated user has left every room: a former peer can no longer discover them.
    app.services.deactivate_account("cli", &user_id(&bob_id), false).await.expect("deactivate");
    assert_eq!(get(&app, &format!("/profile/{bob_id}"), &alice).await, stranger);
}

#[tokio::test]
async fn without_the_shared_room_rule_only_existing_active_accounts_have_profiles() {
    let app = TestApp::with_config(|c| c.directory.profile_requires_shared_room = false).await;
    let (_, alice) = app.register("alice").await;
    let (dave_id, dave) = app.register("dave").await;
    let (erin_id, _) = app.register("erin").await;
    let (frank_id, _) = app.register("frank").await;
    set_displayname(&app, &dave_id, &dave, "Dave").await;

    assert_eq!(
        get(&app, &format!("/profile/{dave_id}"), &alice).await,
        (StatusCode::OK, json!({ "displayname": "Dave" }))
    );
    app.services.deactivate_account("cli", &user_id(&erin_id), false).await.expect("deactivate");
    app.services.set_locked("cli", &user_id(&frank_id), true).expect("lock");
    for target in [erin_id.as_str(), frank_id.as_str(), "@nobody:localhost"] {
        assert_error(&get(&app, &format!("/profile/{target}"), &alice).await, StatusCode::NOT_FOUND, "M_NOT_FOUND");
        let field = get(&app, &format!("/profile/{target}/displayname"), &alice).await;
        assert_error(&field, StatusCode::NOT_FOUND, "M_NOT_FOUND");
    }
}

#[tokio::test]
async fn member_lists_and_sync_still_name_room_members() {
    let app = TestApp::new().await;
    let (alice_id, alice) = app.register("alice").await;
    let (dave_id, dave) = app.register("dave").await;
    set_displayname(&app, &alice_id, &alice, "Alice Martin").await;
    set_displayname(&app, &dave_id, &dave, "Dave Durand").await;
    assert_error(&get(&app, &format!("/profile/{alice_id}"), &dave).await, StatusCode::FORBIDDEN, "M_FORBIDDEN");

    let room_id = app.create_room(&alice, json!({ "invite": [dave_id], "name": "Cellule" })).await;
    join(&app, &dave, &room_id).await;

    let (status, members) = get(&app, &format!("/rooms/{room_id}/members"), &dave).await;
    assert_eq!(status, StatusCode::OK, "{members}");
    let names: Vec<(&str, &str)> = members["chunk"]
        .as_array()
        .expect("chunk")
        .iter()
        .filter_map(|m| Some((m["state_key"].as_str()?, m["content"]["displayname"].as_str()?)))
        .collect();
    assert!(names.contains(&(alice_id.as_str(), "Alice Martin")), "{members}");
    assert!(names.contains(&(dave_id.as_str(), "Dave Durand")), "{members}");

    let (status, joined) = get(&app, &format!("/rooms/{room_id}/joined_members"), &dave).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["joined"][&alice_id]["display_name"], "Alice Martin", "{joined}");

    let (status, synced) = get(&app, "/sync", &dave).await;
    assert_eq!(status, StatusCode::OK);
    let state = &synced["rooms"]["join"][&room_id];
    let member_events = state["state"]["events"]
        .as_array()
        .into_iter()
        .chain(state["timeline"]["events"].as_array())
        .flatten()
        .filter(|e| e["type"] == "m.room.member" && e["state_key"] == alice_id.as_str());
    assert!(member_events.into_iter().any(|e| e["content"]["displayname"] == "Alice Martin"), "{synced}");
    // Now that they share a room, the profile is readable too.
    assert_eq!(get(&app, &format!("/profile/{alice_id}/displayname"), &dave).await.0, StatusCode::OK);
}

#[tokio::test]
async fn directory_searches_and_profile_lookups_share_a_read_budget() {
    let app = TestApp::with_config(|c| c.directory.reads_per_hour = 4).await;
    let (alice_id, alice) = app.register("alice").await;
    let (bob_id, bob) = app.register("bob").await;
    let (dave_id, _) = app.register("dave").await;
    let room_id = app.create_room(&alice, json!({ "invite": [bob_id] })).await;
    join(&app, &bob, &room_id).await;

    assert_eq!(search(&app, &alice, "bob", 10).await.0, StatusCode::OK);
    assert_eq!(get(&app, &format!("/profile/{bob_id}"), &alice).await.0, StatusCode::OK);
    assert_eq!(get(&app, &format!("/profile/{bob_id}/displayname"), &alice).await.0, StatusCode::OK);
    // Refused lookups count too, or probing for accounts would be free.
    assert_eq!(get(&app, &format!("/profile/{dave_id}"), &alice).await.0, StatusCode::FORBIDDEN);
    // A term too short to search reads nothing and costs nothing; one's own profile is free.
    assert_eq!(search(&app, &alice, "b", 10).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, &format!("/profile/{alice_id}"), &alice).await.0, StatusCode::OK);

    for over_budget in [search(&app, &alice, "bob", 10).await, get(&app, &format!("/profile/{bob_id}"), &alice).await] {
        assert_error(&over_budget, StatusCode::TOO_MANY_REQUESTS, "M_LIMIT_EXCEEDED");
        let retry = over_budget.1["retry_after_ms"].as_u64().expect("retry_after_ms");
        assert!(retry > 0 && retry <= 15 * 60 * 1000, "one read comes back every 15 minutes: {retry}");
    }
    assert_eq!(get(&app, &format!("/profile/{alice_id}"), &alice).await.0, StatusCode::OK);
    // Budgets are per account.
    assert_eq!(get(&app, &format!("/profile/{alice_id}"), &bob).await.0, StatusCode::OK);
    assert_eq!(search(&app, &bob, "alice", 10).await.0, StatusCode::OK);
}
