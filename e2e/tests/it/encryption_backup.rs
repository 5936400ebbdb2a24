//! Server-side key backup (`/room_keys`) with recovery (secret storage in account data): Alice
//! backs up her room keys, and a device she logs in later restores them with her recovery key
//! and decrypts messages sent before it existed.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::ruma::{
    OwnedEventId,
    api::client::backup::{get_backup_keys, get_latest_backup_info},
};

use crate::{
    client::create_private_room,
    e2ee::{Seen, decrypted, e2ee_user, ensure_encrypted, fetch, new_device},
    fixtures::{invite_and_join, room, send_text},
    harness::scenario_with_platform_defaults,
};

/// Alice and Bob exchange two messages; Alice enables recovery, which creates a backup version
/// and uploads her room keys to it; they exchange two more, which go to the backup as Alice
/// receives them. The server's backup then holds the room's sessions. A new device of Alice
/// cannot decrypt the four messages until it recovers with the recovery key and downloads the
/// room's keys from the backup; then it decrypts all four.
#[tokio::test]
async fn backup_restores_old_messages_on_a_new_device() {
    scenario_with_platform_defaults(async |server| {
        let alice = e2ee_user(server, "alice").await?;
        let bob = e2ee_user(server, "bob").await?;
        let room_id = create_private_room(&alice, "Backed up").await?;
        invite_and_join(&alice, &bob, &room_id).await?;
        ensure_encrypted(&room(&alice, &room_id)?).await?;

        let mut sent: Vec<(OwnedEventId, &str)> = Vec::new();
        let mut sessions = BTreeSet::new();
        let mut exchange = async |bodies: [&'static str; 2]| -> Result<()> {
            let from_alice = send_text(&alice, &room_id, bodies[0]).await?;
            sessions.extend(decrypted(&bob, &room_id, &from_alice).await?.session_id);
            let from_bob = send_text(&bob, &room_id, bodies[1]).await?;
            // Alice receives Bob's room key, which her backup must then hold too.
            sessions.extend(decrypted(&alice, &room_id, &from_bob).await?.session_id);
            sent.extend([(from_alice, bodies[0]), (from_bob, bodies[1])]);
            Ok(())
        };
        exchange(["alice, before the backup", "bob, before the backup"]).await?;

        let recovery_key = alice
            .encryption()
            .recovery()
            .enable()
            .wait_for_backups_to_upload()
            .await
            .context("enabling recovery (backup version, secret storage, upload)")?;
        ensure!(alice.encryption().backups().are_enabled().await, "backups are not enabled after recovery");

        exchange(["alice, with the backup on", "bob, with the backup on"]).await?;
        alice.encryption().backups().wait_for_steady_state().await.context("uploading the new keys to the backup")?;

        let info = alice.send(get_latest_backup_info::v3::Request::new()).await.context("GET /room_keys/version")?;
        let backup =
            alice.send(get_backup_keys::v3::Request::new(info.version.clone())).await.context("GET /room_keys/keys")?;
        let backed_up: Vec<&String> =
            backup.rooms.get(&room_id).map(|room| room.sessions.keys().collect()).unwrap_or_default();
        ensure!(sessions.len() >= 2, "expected a Megolm session from each sender, got {sessions:?}");
        for session in &sessions {
            ensure!(
                backed_up.contains(&session),
                "session {session} is not in backup version {}: {backed_up:?}",
                info.version
            );
        }
        ensure!(
            u64::from(info.count) >= backed_up.len() as u64,
            "backup version {} counts {} keys but holds {} for the room",
            info.version,
            info.count,
            backed_up.len()
        );

        let alice2 = new_device(server, "alice").await?;
        let (first_id, first_body) = &sent[0];
        match fetch(&alice2, &room_id, first_id).await? {
            Seen::Undecryptable(_) => {}
            other => bail!("the new device read {first_body:?} before restoring the backup: {other:?}"),
        }
        alice2.encryption().recovery().recover(&recovery_key).await.context("recovering with the recovery key")?;
        ensure!(alice2.encryption().backups().are_enabled().await, "the new device did not connect to the backup");
        alice2
            .encryption()
            .backups()
            .download_room_keys_for_room(&room_id)
            .await
            .context("downloading the room's keys")?;
        for (event_id, body) in &sent {
            let message = decrypted(&alice2, &room_id, event_id).await.context("the new device, an old message")?;
            ensure!(message.body == *body, "decrypted {:?}, sent {body:?}", message.body);
        }
        Ok(())
    })
    .await;
}
