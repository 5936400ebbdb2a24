//! Setup steps the room scenarios share: public rooms with members, rooms filled with
//! messages, and the first sync that gives a client its `since` token. None of it is measured,
//! and any failure in it fails the scenario: figures over a half-built room would mislead.

use std::sync::Arc;

use tokio::time::Instant;

use crate::context::{Context, SETUP_CONCURRENCY, all_or_fail};
use crate::error::{BenchError, Result};
use crate::matrix::{SyncQuery, SyncResponse, User};
use crate::runner::run_jobs;

/// Creates a public room (`public_chat`: no invite needed and never encrypted, so every
/// server stores and serves the same plain events) and has each of `members` join it.
pub async fn public_room(
    ctx: &Arc<Context>,
    creator: &User,
    members: &[User],
    name: &str,
    deadline: Instant,
) -> Result<String> {
    let room_id = ctx.server.create_public_room(creator, name).await?;
    let count = members.len();
    let members: Arc<Vec<User>> = Arc::new(members.to_vec());
    let (server, room) = (ctx.server.clone(), room_id.clone());
    let outcome = run_jobs(count, SETUP_CONCURRENCY, deadline, move |i| {
        let (server, members, room) = (server.clone(), Arc::clone(&members), room.clone());
        async move { server.join(&members[i], &room).await }
    })
    .await;
    all_or_fail(&format!("joining {count} users to {room_id}"), count, outcome)?;
    Ok(room_id)
}

/// Creates `count` public rooms of `creator`, named `{prefix} {i}`, one after another, as a
/// client does. Not concurrently: in room version 12 the room ID is the hash of the create
/// event, and two creations by one user in the same millisecond can collide (Rempart answered
/// such a collision with a 500 when this was written).
pub async fn public_rooms(
    ctx: &Arc<Context>,
    creator: &User,
    count: usize,
    prefix: &str,
    deadline: Instant,
) -> Result<Vec<String>> {
    let (server, creator, prefix) = (ctx.server.clone(), creator.clone(), prefix.to_owned());
    let outcome = run_jobs(count, 1, deadline, move |i| {
        let (server, creator, name) = (server.clone(), creator.clone(), format!("{prefix} {i}"));
        async move { server.create_public_room(&creator, &name).await }
    })
    .await;
    all_or_fail(&format!("creating {count} rooms"), count, outcome)
}

/// Has `sender` send `count` text messages into each of `rooms`, `SETUP_CONCURRENCY` at a
/// time (so several rooms fill at once, or one room faster).
pub async fn fill_rooms(
    ctx: &Arc<Context>,
    sender: &User,
    rooms: &[String],
    count: usize,
    deadline: Instant,
) -> Result<()> {
    let total = rooms.len() * count;
    let (ctx_job, sender, rooms) = (Arc::clone(ctx), sender.clone(), Arc::new(rooms.to_vec()));
    let outcome = run_jobs(total, SETUP_CONCURRENCY, deadline, move |i| {
        let (ctx, sender, rooms) = (Arc::clone(&ctx_job), sender.clone(), Arc::clone(&rooms));
        async move {
            let text = format!("filler message {} of {count}", i % count + 1);
            ctx.server.send_text(&sender, &rooms[i / count], &ctx.txn_id(), &text).await
        }
    })
    .await;
    all_or_fail(&format!("sending {total} messages"), total, outcome)?;
    Ok(())
}

/// Each user's first sync with `filter`, for its `next_batch`: the `since` of the long-polls
/// that follow.
pub async fn first_since(ctx: &Arc<Context>, users: &[User], filter: &str, deadline: Instant) -> Result<Vec<String>> {
    let (server, users, filter) = (ctx.server.clone(), Arc::new(users.to_vec()), Arc::new(filter.to_owned()));
    let count = users.len();
    let outcome = run_jobs(count, SETUP_CONCURRENCY, deadline, move |i| {
        let (server, users, filter) = (server.clone(), Arc::clone(&users), Arc::clone(&filter));
        async move {
            let query = SyncQuery { since: None, timeout_ms: 0, filter: Some(&filter) };
            let body = server.sync(&users[i], query).await?;
            let response: SyncResponse =
                serde_json::from_slice(&body).map_err(|e| BenchError::Unexpected(format!("sync response: {e}")))?;
            Ok(response.next_batch)
        }
    })
    .await;
    all_or_fail(&format!("first sync of {count} users"), count, outcome)
}
