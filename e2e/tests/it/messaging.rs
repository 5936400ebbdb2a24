//! Messages: two users exchange text through `/sync`, and history is read back with
//! `/messages`, backwards page by page and forwards from the start of the room.

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::{
    Room,
    room::{Messages, MessagesOptions},
    ruma::UInt,
};

use crate::{
    client::user_id,
    fixtures::{Pair, send_text},
    harness::scenario,
    sync::{event_type_of, sync_until, text_of, texts},
};

/// Upper bound on the pages read when walking a room's history, so that a server that keeps
/// handing out `end` tokens fails the test instead of looping.
const MAX_PAGES: usize = 50;

/// Each side sends a message; the other receives it through `/sync` with the same event ID,
/// sender and body, and the sender sees its own message echoed in its timeline.
#[tokio::test]
async fn messages_are_exchanged_through_sync() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let room_id = &pair.room_id;

        let from_alice = send_text(&pair.alice, room_id, "Hello Bob").await?;
        let received = sync_until(&pair.bob, "alice's message", |response| {
            Ok(texts(response, room_id)?.into_iter().find(|text| text.event_id == from_alice))
        })
        .await?;
        ensure!(received.sender == user_id("alice"), "sender {}", received.sender);
        ensure!(received.body == "Hello Bob", "body {:?}", received.body);

        let from_bob = send_text(&pair.bob, room_id, "Hello Alice").await?;
        let received = sync_until(&pair.alice, "bob's message", |response| {
            Ok(texts(response, room_id)?.into_iter().find(|text| text.event_id == from_bob))
        })
        .await?;
        ensure!(received.sender == user_id("bob"), "sender {}", received.sender);
        ensure!(received.body == "Hello Alice", "body {:?}", received.body);

        sync_until(&pair.bob, "bob's own message echoed back", |response| {
            Ok(texts(response, room_id)?.into_iter().find(|text| text.event_id == from_bob))
        })
        .await?;
        Ok(())
    })
    .await;
}

/// Alice sends five messages. Bob reads them back with `/messages` backwards, two per page:
/// newest first, each page within the limit, nothing lost or repeated. Alice walks back to the
/// room's creation, where the server stops handing out `end` tokens, then reads the room
/// forwards from its first event.
#[tokio::test]
async fn history_paginates_backwards_and_forwards() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let room_id = &pair.room_id;
        let bodies: Vec<String> = (1..=5).map(|n| format!("message {n}")).collect();
        for body in &bodies {
            send_text(&pair.alice, room_id, body).await?;
        }

        // Bob, backwards from the end of the room, two events per page.
        let bob_room = pair.bob_room()?;
        let first = page(&bob_room, MessagesOptions::backward(), 2).await?;
        ensure!(page_texts(&first)? == ["message 5", "message 4"], "first page: {:?}", page_texts(&first)?);
        let mut seen = page_texts(&first)?;
        let mut from = first.end.clone();
        let mut pages = 1;
        while seen.len() < bodies.len() {
            let Some(token) = from.take() else { bail!("history ended early; saw {seen:?}") };
            pages += 1;
            ensure!(pages <= MAX_PAGES, "still paginating after {MAX_PAGES} pages; saw {seen:?}");
            let next = page(&bob_room, MessagesOptions::backward().from(token.as_str()), 2).await?;
            seen.extend(page_texts(&next)?);
            from = next.end;
        }
        let newest_first: Vec<String> = bodies.iter().rev().cloned().collect();
        ensure!(seen == newest_first, "backward pagination gave {seen:?}");

        // Alice, backwards all the way to the room's creation.
        let alice_room = pair.alice_room()?;
        let mut types = Vec::new();
        let mut from: Option<String> = None;
        for pages in 1.. {
            ensure!(pages <= MAX_PAGES, "no end of history after {MAX_PAGES} pages: {types:?}");
            let next = page(&alice_room, MessagesOptions::backward().from(from.as_deref()), 3).await?;
            ensure!(!next.chunk.is_empty() || next.end.is_none(), "an empty page must not carry an `end` token");
            for event in &next.chunk {
                types.push(event_type_of(event)?);
            }
            match next.end {
                Some(end) => from = Some(end),
                None => break,
            }
        }
        ensure!(types.last().map(String::as_str) == Some("m.room.create"), "history ends with {types:?}");

        // Alice, forwards from the start of the room (no `from` token).
        let forward = page(&alice_room, MessagesOptions::forward(), 100).await?;
        let first_type = forward.chunk.first().map(event_type_of).transpose()?;
        ensure!(first_type.as_deref() == Some("m.room.create"), "forward history starts with {first_type:?}");
        ensure!(page_texts(&forward)? == bodies, "forward pagination gave {:?}", page_texts(&forward)?);

        // Bob's own join is part of the history he can read.
        let bob_joined = forward.chunk.iter().any(|event| {
            event_type_of(event).is_ok_and(|kind| kind == "m.room.member")
                && event.raw().get_field::<String>("state_key").ok().flatten().as_deref() == Some("@bob:localhost")
        });
        ensure!(bob_joined, "bob's m.room.member event is missing from the forward history");
        Ok(())
    })
    .await;
}

/// One `/messages` request with `limit`, checking that the page respects the limit.
async fn page(room: &Room, mut options: MessagesOptions, limit: u32) -> Result<Messages> {
    options.limit = UInt::from(limit);
    let messages = room.messages(options).await.context("GET /messages")?;
    ensure!(
        messages.chunk.len() <= limit as usize,
        "/messages returned {} events for limit {limit}",
        messages.chunk.len()
    );
    Ok(messages)
}

/// The bodies of the text messages of a page, in the page's order.
fn page_texts(messages: &Messages) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for event in &messages.chunk {
        found.extend(text_of(event)?.map(|text| text.body));
    }
    Ok(found)
}
