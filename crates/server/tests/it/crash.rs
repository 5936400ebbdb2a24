//! Killing the server with SIGKILL in the middle of a write load loses no acknowledged event
//! and leaves no half-written room.

use std::{
    collections::HashSet,
    process::{Child, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use rempart_storage::{RoomStore, StorageError};
use ruma::{OwnedRoomId, events::StateEventType};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A bare HTTP/1.1 request over loopback, enough to drive the real binary without an HTTP
/// client dependency.
async fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Option<(u16, Value)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn start(config: &std::path::Path) -> Child {
    crate::support::rempart_command()
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rempart")
}

async fn wait_ready(port: u16) {
    for _ in 0..300 {
        if let Some((200, _)) = http(port, "GET", "/_matrix/client/versions", None, None).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("rempart.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[listen]\naddress = \"127.0.0.1:{port}\"\n[registration]\nmode = \"open\"\n[rate_limits]\nenabled = false\n[password_policy]\nmin_length = 1\n[password_hashing]\nmemory_kib = 64\niterations = 1\n",
            dir.path().join("data")
        ),
    )
    .unwrap();
    let mut server = start(&config);
    wait_ready(port).await;

    let register = json!({ "username": "alice", "password": "pw", "auth": { "type": "m.login.dummy" } });
    let (_, body) = http(port, "POST", "/_matrix/client/v3/register", None, Some(&register)).await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (_, body) = http(port, "POST", "/_matrix/client/v3/createRoom", Some(&token), Some(&json!({}))).await.unwrap();
    let room = body["room_id"].as_str().unwrap().to_owned();

    // Writers: messages into one room and whole new rooms, recording every acknowledgement.
    let acked_events = Arc::new(Mutex::new(Vec::<String>::new()));
    let acked_rooms = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = vec![];
    for writer in 0..4 {
        let (token, room, acked_events, acked_rooms) =
            (token.clone(), room.clone(), acked_events.clone(), acked_rooms.clone());
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                if writer == 0 && n % 3 == 0 {
                    match http(
                        port,
                        "POST",
                        "/_matrix/client/v3/createRoom",
                        Some(&token),
                        Some(&json!({ "name": format!("r{n}") })),
                    )
                    .await
                    {
                        Some((200, body)) => {
                            acked_rooms.lock().unwrap().push(body["room_id"].as_str().unwrap().to_owned())
                        }
                        _ => break,
                    }
                    continue;
                }
                let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/w{writer}n{n}");
                match http(port, "PUT", &path, Some(&token), Some(&json!({ "msgtype": "m.text", "body": "load" })))
                    .await
                {
                    Some((200, body)) => {
                        acked_events.lock().unwrap().push(body["event_id"].as_str().unwrap().to_owned())
                    }
                    _ => break,
                }
            }
        }));
    }
    while acked_events.lock().unwrap().len() < 150 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }

    // Every acknowledged event and room survived, and every room is whole.
    let store = rempart_storage_sqlite::SqliteStore::open(&dir.path().join("data").join("rempart.db")).unwrap();
    let acked: HashSet<String> = acked_events.lock().unwrap().iter().cloned().collect();
    for event_id in &acked {
        let id = ruma::OwnedEventId::try_from(event_id.as_str()).unwrap();
        assert!(store.get_event(&id).unwrap().is_some(), "acknowledged event {event_id} lost");
    }
    let acked_rooms: Vec<String> = acked_rooms.lock().unwrap().clone();
    assert!(!acked_rooms.is_empty());
    for room in store.list_rooms().unwrap() {
        let has = |kind: StateEventType, key: &str| -> Result<bool, StorageError> {
            Ok(store.current_state_event(&room.room_id, &kind, key)?.is_some())
        };
        assert!(has(StateEventType::RoomCreate, "").unwrap(), "room {} has no create event", room.room_id);
        assert!(has(StateEventType::RoomPowerLevels, "").unwrap(), "room {} is half written", room.room_id);
        assert!(has(StateEventType::RoomHistoryVisibility, "").unwrap(), "room {} is half written", room.room_id);
        assert!(
            has(StateEventType::RoomMember, room.creator.as_str()).unwrap(),
            "room {} has no creator",
            room.room_id
        );
    }
    for room in &acked_rooms {
        let id = OwnedRoomId::try_from(room.as_str()).unwrap();
        assert!(store.get_room(&id).unwrap().is_some(), "acknowledged room {room} lost");
    }
    drop(store);

    // The restarted server serves the surviving history.
    let mut server = start(&config);
    wait_ready(port).await;
    let login =
        json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "alice" }, "password": "pw" });
    let (status, body) = http(port, "POST", "/_matrix/client/v3/login", None, Some(&login)).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (status, body) =
        http(port, "GET", &format!("/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=1000"), Some(&token), None)
            .await
            .unwrap();
    assert_eq!(status, 200, "{body}");
    let served: HashSet<String> =
        body["chunk"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap().to_owned()).collect();
    assert!(acked.is_subset(&served), "history after restart misses acknowledged events");
    server.kill().unwrap();
    server.wait().unwrap();
}
