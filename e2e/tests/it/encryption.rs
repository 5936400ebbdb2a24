//! End-to-end encryption with real Olm/Megolm (`matrix-sdk` with `e2e-encryption`): private
//! rooms are encrypted without the client asking, members decrypt each other's messages, a
//! member who joins later reads only what was sent after the join (history visibility
//! `joined`), a user's new device receives keys, a deleted or logged-out device stops receiving
//! them, and the server's database never holds the plaintext.
//!
//! Key backup is in `encryption_backup`, cross-signing in `encryption_cross_signing`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::{
    Client,
    room::MessagesOptions,
    ruma::{
        EventId, OwnedRoomId, RoomId, UInt, api::error::ErrorKind, events::room::history_visibility::HistoryVisibility,
    },
};

use crate::{
    client::{create_private_room, user_id},
    e2ee::{
        Decrypted, Seen, create_private_room_with_history, decrypt_with_own_keys, decrypted, delete_device, e2ee_user,
        ensure_encrypted, ids, new_device, raw_event, seen, seen_in_sync, server_device_keys, wait_for_device,
        wait_for_join,
    },
    fixtures::{invite_and_join, room, send_text},
    harness::{TestServer, scenario_with_platform_defaults},
};

/// The name of the room of [`exchange_in_private_room`]: stored in clear by the server (room
/// names are state), so finding it in the database shows that the database is readable as bytes.
const ROOM_NAME: &str = "Encrypted by default 5e1f0c";

/// The messages of [`exchange_in_private_room`]; they must never reach the server in clear.
const FROM_ALICE: &str = "alice's canary 3a9c71: meet at the old mill";
const FROM_BOB: &str = "bob's canary 8d24e6: bring the blue lantern";

/// Alice and Bob in a private room Alice created without asking for encryption, after each
/// decrypted the other's message.
struct Exchange {
    alice: Client,
    bob: Client,
    room_id: OwnedRoomId,
}

/// Alice creates a `private_chat` room with no `m.room.encryption` in the request; both members
/// see it encrypted with Megolm; each sends a message that the other receives in `/sync` already
/// decrypted (the SDK decrypts while processing the response), attributed to the sender's device.
async fn exchange_in_private_room(server: &TestServer) -> Result<Exchange> {
    let alice = e2ee_user(server, "alice").await?;
    let bob = e2ee_user(server, "bob").await?;
    let room_id = create_private_room(&alice, ROOM_NAME).await?;
    invite_and_join(&alice, &bob, &room_id).await?;
    ensure_encrypted(&room(&alice, &room_id)?).await.context("alice's view")?;
    ensure_encrypted(&room(&bob, &room_id)?).await.context("bob's view")?;

    for (sender, receiver, body) in [(&alice, &bob, FROM_ALICE), (&bob, &alice, FROM_BOB)] {
        let event_id = send_text(sender, &room_id, body).await?;
        match seen_in_sync(receiver, &room_id, &event_id).await? {
            Seen::Decrypted(message) => ensure_from(&message, sender, body)?,
            other => bail!("{body:?} arrived in /sync as {other:?}"),
        }
    }
    Ok(Exchange { alice, bob, room_id })
}

/// Checks a decrypted message's body and that the SDK attributes it to `sender`'s device.
fn ensure_from(message: &Decrypted, sender: &Client, body: &str) -> Result<()> {
    let (user, device) = ids(sender)?;
    ensure!(message.body == body, "decrypted body {:?}, sent {body:?}", message.body);
    ensure!(message.sender == user, "decrypted as sent by {}, sent by {user}", message.sender);
    ensure!(
        message.sender_device.as_ref() == Some(&device),
        "decrypted as sent by device {:?}, sent by {device}",
        message.sender_device
    );
    Ok(())
}

/// A `private_chat` room is encrypted although the client did not ask, and its two members
/// exchange messages that each decrypts. Both decrypt a later message fetched with
/// `GET /rooms/{room}/event/{event}` too, the sender with the session it keeps for itself.
#[tokio::test]
async fn private_room_is_encrypted_by_default_and_members_decrypt() {
    scenario_with_platform_defaults(async |server| {
        let exchange = exchange_in_private_room(server).await?;
        // The sender's own echo decrypts too: the sender keeps the session it shared.
        let (alice, room_id) = (&exchange.alice, &exchange.room_id);
        let own = send_text(alice, room_id, "a note to self").await?;
        ensure_from(&decrypted(alice, room_id, &own).await?, alice, "a note to self")?;
        ensure_from(&decrypted(&exchange.bob, room_id, &own).await?, alice, "a note to self")?;
        Ok(())
    })
    .await;
}

/// After the exchange, no byte sequence of either message occurs in any file of the server's
/// data directory (the SQLite database, its `-wal` and `-shm` files, anything else), while the
/// room's name, which the server stores in clear, does: the server only ever held ciphertext.
#[tokio::test]
async fn server_database_never_holds_plaintext() {
    scenario_with_platform_defaults(async |server| {
        exchange_in_private_room(server).await?;
        let files = data_files(&server.data_dir())?;
        ensure!(!files.is_empty(), "no files in {}", server.data_dir().display());
        let names: Vec<String> =
            files.iter().map(|(path, bytes)| format!("{} ({} bytes)", path.display(), bytes.len())).collect();
        ensure!(
            files.iter().any(|(_, bytes)| contains(bytes, ROOM_NAME.as_bytes())),
            "the room name {ROOM_NAME:?} is in none of {names:?}: the database does not store text as plain bytes, so \
             this test cannot tell whether plaintext is stored"
        );
        for secret in [FROM_ALICE, FROM_BOB] {
            for (path, bytes) in &files {
                ensure!(!contains(bytes, secret.as_bytes()), "{} contains the plaintext {secret:?}", path.display());
            }
        }
        Ok(())
    })
    .await;
}

/// Every file under `dir`, with its bytes. Write-ahead logs are read before the other files: a
/// checkpoint running meanwhile copies their pages into the database file, read after.
fn data_files(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    paths.sort_by_key(|path| !path.to_string_lossy().ends_with("-wal"));
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read(&path) {
            Ok(bytes) => files.push((path, bytes)),
            // A file the server removed since the listing (a journal, a temporary file).
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(files)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// History visibility `joined`: Carol, invited after Alice and Bob exchanged messages, decrypts
/// what they send after her join and cannot read what they sent before (the server does not
/// show it to her, or she has no key for it).
#[tokio::test]
async fn late_joiner_decrypts_only_messages_after_joining() {
    scenario_with_platform_defaults(async |server| {
        let alice = e2ee_user(server, "alice").await?;
        let bob = e2ee_user(server, "bob").await?;
        let carol = e2ee_user(server, "carol").await?;
        let room_id = create_private_room_with_history(&alice, "Joined history", HistoryVisibility::Joined).await?;
        invite_and_join(&alice, &bob, &room_id).await?;
        ensure_encrypted(&room(&alice, &room_id)?).await?;

        let early = [("alice", "before carol: the vault code is 0419"), ("bob", "before carol: noted, 0419")];
        let mut early_ids = Vec::new();
        for (sender, body) in early {
            let (sender, reader) = if sender == "alice" { (&alice, &bob) } else { (&bob, &alice) };
            let event_id = send_text(sender, &room_id, body).await?;
            ensure!(decrypted(reader, &room_id, &event_id).await?.body == body, "early message garbled");
            early_ids.push(event_id);
        }

        invite_and_join(&alice, &carol, &room_id).await?;
        wait_for_join(&bob, &room_id, &user_id("carol")).await?;

        let late = [(&alice, "after carol: welcome"), (&bob, "after carol: hello carol")];
        for (sender, body) in late {
            let event_id = send_text(sender, &room_id, body).await?;
            let message = decrypted(&carol, &room_id, &event_id).await.context("carol, a message after her join")?;
            ensure_from(&message, sender, body)?;
            // The same path as for the earlier messages below, on a message she may read.
            let ciphertext = raw_event(&bob, &room_id, &event_id).await?;
            match decrypt_with_own_keys(&carol, &room_id, &ciphertext).await? {
                Seen::Decrypted(message) if message.body == body => {}
                other => bail!("carol, given the ciphertext of {body:?} by bob, got {other:?}"),
            }
        }

        for (event_id, (_, body)) in early_ids.iter().zip(early) {
            ensure_unreadable(&carol, &room_id, event_id, body).await?;
            // Whatever the server shows her, she holds no key for the earlier ciphertext: handed
            // the m.room.encrypted event by Bob, she still cannot decrypt it.
            let ciphertext = raw_event(&bob, &room_id, event_id).await?;
            match decrypt_with_own_keys(&carol, &room_id, &ciphertext).await? {
                Seen::Undecryptable(_) => {}
                other => bail!("carol, given the ciphertext of {body:?} from before her join, got {other:?}"),
            }
        }
        // Her whole view of the history, backwards from now.
        let mut options = MessagesOptions::backward();
        options.limit = UInt::from(100u32);
        let history = room(&carol, &room_id)?.messages(options).await.context("carol's GET /messages")?;
        for event in &history.chunk {
            if let Seen::Decrypted(message) = seen(event)? {
                ensure!(
                    !early.iter().any(|(_, body)| message.body == *body),
                    "carol decrypted {:?} from before her join through /messages",
                    message.body
                );
            }
        }
        Ok(())
    })
    .await;
}

/// `reader` cannot read `event_id`: the server does not show it (404 or 403), or it is an
/// `m.room.encrypted` event `reader` has no key for. It must be neither decryptable nor in clear.
async fn ensure_unreadable(reader: &Client, room_id: &RoomId, event_id: &EventId, body: &str) -> Result<()> {
    let (me, _) = ids(reader)?;
    let event = match room(reader, room_id)?.event(event_id, None).await {
        Ok(event) => event,
        Err(error) if matches!(error.client_api_error_kind(), Some(ErrorKind::NotFound | ErrorKind::Forbidden)) => {
            return Ok(());
        }
        Err(error) => return Err(error).with_context(|| format!("{me} fetching {event_id}")),
    };
    match seen(&event)? {
        Seen::Undecryptable(_) => Ok(()),
        Seen::Decrypted(message) => bail!("{me} decrypted {:?} (sent as {body:?}) from before its join", message.body),
        Seen::Plaintext(kind) => bail!("{event_id}, sent as an encrypted {body:?}, reached {me} as {kind}"),
    }
}

/// Alice logs in on a second device; Bob's and Alice's first device learn about it through
/// `/sync` and share their room keys with it, so it decrypts what both send afterwards.
#[tokio::test]
async fn second_device_receives_room_keys() {
    scenario_with_platform_defaults(async |server| {
        let exchange = exchange_in_private_room(server).await?;
        let (alice, bob, room_id) = (&exchange.alice, &exchange.bob, &exchange.room_id);
        let alice2 = new_device(server, "alice").await?;
        let (alice_id, alice2_device) = ids(&alice2)?;
        wait_for_device(bob, &alice_id, &alice2_device, true).await?;
        wait_for_device(alice, &alice_id, &alice2_device, true).await?;

        for (sender, body) in [(bob, "bob to both of alice's devices"), (alice, "alice, from her first device")] {
            let event_id = send_text(sender, room_id, body).await?;
            let message =
                decrypted(&alice2, room_id, &event_id).await.context("alice's second device, a later message")?;
            ensure_from(&message, sender, body)?;
        }
        Ok(())
    })
    .await;
}

/// Alice deletes her second device (with her password). The server stops listing its keys at
/// once; Bob learns of the deletion through `/sync`; his next message uses a new Megolm session
/// (the one the deleted device holds no longer decrypts anything new) that Alice's remaining
/// device decrypts.
#[tokio::test]
async fn deleted_device_stops_receiving_keys() {
    scenario_with_platform_defaults(async |server| {
        let exchange = exchange_in_private_room(server).await?;
        let (alice, bob, room_id) = (&exchange.alice, &exchange.bob, &exchange.room_id);
        let alice2 = new_device(server, "alice").await?;
        let (alice_id, alice2_device) = ids(&alice2)?;
        wait_for_device(bob, &alice_id, &alice2_device, true).await?;

        let before = send_text(bob, room_id, "while alice has two devices").await?;
        let on_second = decrypted(&alice2, room_id, &before).await.context("the second device before deletion")?;
        let old_session = on_second.session_id.context("no Megolm session ID")?;

        delete_device(alice, "alice", &alice2_device).await?;
        let listed = server_device_keys(bob, &alice_id).await?;
        ensure!(
            !listed.contains_key(&alice2_device),
            "/keys/query still returns the deleted device {alice2_device}: {:?}",
            listed.keys().collect::<Vec<_>>()
        );
        match alice2.whoami().await {
            Ok(whoami) => bail!("the deleted device's access token still works: {whoami:?}"),
            Err(error) => ensure!(
                matches!(error.client_api_error_kind(), Some(ErrorKind::UnknownToken(_))),
                "expected M_UNKNOWN_TOKEN for the deleted device, got {error:?}"
            ),
        }

        wait_for_device(bob, &alice_id, &alice2_device, false).await?;
        let remaining: Vec<_> =
            bob.encryption().get_user_devices(&alice_id).await?.keys().map(ToOwned::to_owned).collect();
        ensure!(remaining == [ids(alice)?.1], "bob encrypts for alice's devices {remaining:?}");

        let after = send_text(bob, room_id, "after alice deleted a device").await?;
        let on_first = decrypted(alice, room_id, &after).await.context("alice's remaining device")?;
        ensure!(on_first.body == "after alice deleted a device", "body {:?}", on_first.body);
        let new_session = on_first.session_id.context("no Megolm session ID")?;
        ensure!(
            new_session != old_session,
            "bob kept Megolm session {old_session} after alice's device {alice2_device} was deleted"
        );
        Ok(())
    })
    .await;
}

/// Logging out removes the device's keys too: after Alice's second device logs out, the server
/// stops returning it from `/keys/query` and Bob learns through `/sync` to stop encrypting for it.
#[tokio::test]
async fn logged_out_device_is_dropped_by_contacts() {
    scenario_with_platform_defaults(async |server| {
        let exchange = exchange_in_private_room(server).await?;
        let bob = &exchange.bob;
        let alice2 = new_device(server, "alice").await?;
        let (alice_id, alice2_device) = ids(&alice2)?;
        wait_for_device(bob, &alice_id, &alice2_device, true).await?;

        alice2.matrix_auth().logout().await.context("logging the second device out")?;
        let listed = server_device_keys(bob, &alice_id).await?;
        ensure!(
            !listed.contains_key(&alice2_device),
            "/keys/query still returns the logged-out device {alice2_device}: {:?}",
            listed.keys().collect::<Vec<_>>()
        );
        wait_for_device(bob, &alice_id, &alice2_device, false).await
    })
    .await;
}
