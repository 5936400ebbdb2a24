//! Ephemeral room events: typing notifications and read receipts, delivered in the `ephemeral`
//! section of `/sync`. Private read receipts reach their sender only.

use anyhow::{Context, ensure};
use matrix_sdk::ruma::{
    OwnedEventId, OwnedUserId,
    api::client::receipt::create_receipt::v3::ReceiptType as SendReceiptType,
    events::{
        AnySyncEphemeralRoomEvent,
        receipt::{ReceiptThread, ReceiptType},
    },
};

use crate::{
    client::user_id,
    fixtures::{Pair, send_text},
    harness::scenario,
    sync::{ephemeral, sync_until, texts},
};

/// One receipt from an `m.receipt` event: which event, which kind, by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SeenReceipt {
    event_id: OwnedEventId,
    kind: ReceiptType,
    user_id: OwnedUserId,
}

/// Flattens the `m.receipt` events of a list of ephemeral events.
fn receipts(events: &[AnySyncEphemeralRoomEvent]) -> Vec<SeenReceipt> {
    let mut found = Vec::new();
    for event in events {
        let AnySyncEphemeralRoomEvent::Receipt(receipt) = event else { continue };
        for (event_id, by_kind) in &receipt.content.0 {
            for (kind, by_user) in by_kind {
                for user_id in by_user.keys() {
                    found.push(SeenReceipt {
                        event_id: event_id.clone(),
                        kind: kind.clone(),
                        user_id: user_id.clone(),
                    });
                }
            }
        }
    }
    found
}

/// The user lists of the `m.typing` events of a list of ephemeral events.
fn typing_lists(events: &[AnySyncEphemeralRoomEvent]) -> Vec<Vec<OwnedUserId>> {
    events
        .iter()
        .filter_map(|event| match event {
            AnySyncEphemeralRoomEvent::Typing(typing) => Some(typing.content.user_ids.clone()),
            _ => None,
        })
        .collect()
}

/// Alice starts typing: Bob's `/sync` shows her in an `m.typing` event. She stops: a later
/// `m.typing` event no longer lists her.
#[tokio::test]
async fn typing_notifications_reach_the_other_member() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let room_id = &pair.room_id;
        let alice_room = pair.alice_room()?;

        alice_room.typing_notice(true).await.context("PUT /typing true")?;
        sync_until(&pair.bob, "alice typing", |response| {
            let lists = typing_lists(&ephemeral(response, room_id)?);
            Ok(lists.iter().any(|users| users.contains(&user_id("alice"))).then_some(()))
        })
        .await?;

        alice_room.typing_notice(false).await.context("PUT /typing false")?;
        sync_until(&pair.bob, "alice no longer typing", |response| {
            let lists = typing_lists(&ephemeral(response, room_id)?);
            Ok(lists.last().is_some_and(|users| !users.contains(&user_id("alice"))).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}

/// Alice sends two messages. Bob marks the first with a private read receipt, then the second
/// with a public one. Alice sees Bob's public receipt through `/sync` (and in her client's
/// store) and never his private one; Bob sees both of his own.
#[tokio::test]
async fn read_receipts_reach_the_other_member() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let room_id = &pair.room_id;
        let first = send_text(&pair.alice, room_id, "first").await?;
        let second = send_text(&pair.alice, room_id, "second").await?;
        sync_until(&pair.bob, "alice's second message", |response| {
            Ok(texts(response, room_id)?.into_iter().any(|text| text.event_id == second).then_some(()))
        })
        .await?;

        let bob_room = pair.bob_room()?;
        bob_room
            .send_single_receipt(SendReceiptType::ReadPrivate, ReceiptThread::Unthreaded, first.clone())
            .await
            .context("POST /receipt/m.read.private")?;
        bob_room
            .send_single_receipt(SendReceiptType::Read, ReceiptThread::Unthreaded, second.clone())
            .await
            .context("POST /receipt/m.read")?;

        // The private receipt was stored before the public one, so if the server leaked it to
        // Alice, it would come at the latest with the public one.
        let bob_public = SeenReceipt { event_id: second.clone(), kind: ReceiptType::Read, user_id: user_id("bob") };
        let mut leaked = Vec::new();
        sync_until(&pair.alice, "bob's public read receipt", |response| {
            let seen = receipts(&ephemeral(response, room_id)?);
            leaked.extend(seen.iter().filter(|receipt| receipt.kind == ReceiptType::ReadPrivate).cloned());
            Ok(seen.contains(&bob_public).then_some(()))
        })
        .await?;
        ensure!(leaked.is_empty(), "alice received private read receipts: {leaked:?}");

        let stored =
            pair.alice_room()?.load_user_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, &user_id("bob")).await?;
        let (event_id, _) = stored.context("alice's store has no read receipt from bob")?;
        ensure!(event_id == second, "alice's store has bob's receipt on {event_id}, expected {second}");

        let bob_private = SeenReceipt { event_id: first, kind: ReceiptType::ReadPrivate, user_id: user_id("bob") };
        let mut own = Vec::new();
        sync_until(&pair.bob, "bob's own receipts", |response| {
            own.extend(receipts(&ephemeral(response, room_id)?));
            Ok((own.contains(&bob_private) && own.contains(&bob_public)).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}
