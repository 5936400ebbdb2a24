//! `send`: K users each send M messages, one after another, all K at once: first into one
//! room they all joined (every send contends for the same room's state and ordering), then
//! each into a room of its own (sends are independent). Events/s, send latency, and events per
//! server CPU-second, one phase each.

use std::sync::Arc;

use serde::Serialize;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::report::PhaseReport;
use crate::runner::run_sequences;
use crate::setup;

/// The scenario's name on the command line.
pub const NAME: &str = "send";

/// Options of `send`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// Users sending at once (K); each is one client whose sends follow one another.
    #[arg(long, default_value_t = 8)]
    pub users: usize,
    /// Messages each user sends per phase (M).
    #[arg(long, default_value_t = 200)]
    pub messages: usize,
}

/// Sets up the rooms, then runs the "one room" and "own rooms" phases.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    if args.users == 0 || args.messages == 0 {
        return Err(BenchError::Options("--users and --messages must be at least 1".into()));
    }
    let deadline = ctx.deadline();
    let users = ctx.create_users(NAME, args.users, deadline).await?;
    let shared = setup::public_room(ctx, &users[0], &users[1..], "send: one room", deadline).await?;
    let mut own = Vec::with_capacity(users.len());
    for user in &users {
        own.push(setup::public_room(ctx, user, &[], "send: own room", deadline).await?);
    }
    let users = Arc::new(users);
    let one_room = vec![shared; args.users];
    let mut phases = Vec::new();
    for (name, rooms) in [("one room", one_room), ("own rooms", own)] {
        let (ctx_job, users, rooms) = (Arc::clone(ctx), Arc::clone(&users), Arc::new(rooms));
        let messages = args.messages;
        let (report, _) = ctx
            .measure(name, None, async move {
                let outcome = run_sequences(users.len(), messages, deadline, move |i| {
                    let (ctx, users, rooms) = (Arc::clone(&ctx_job), Arc::clone(&users), Arc::clone(&rooms));
                    async move {
                        let (sender, n) = (i / messages, i % messages);
                        let text = format!("send benchmark: message {n} of user {sender}");
                        ctx.server.send_text(&users[sender], &rooms[sender], &ctx.txn_id(), &text).await
                    }
                })
                .await;
                Ok((outcome.tally, ()))
            })
            .await?;
        phases.push(report);
    }
    Ok(phases)
}
