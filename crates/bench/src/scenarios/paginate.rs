//! `paginate`: a room of M messages (sent during setup, not measured), then `/messages`
//! backwards from the end of the room to its start, page after page, P times over. The
//! operations counted are events received, so ops/s is events/s and ops/CPU-s is events per
//! server CPU-second; latencies are those of the page requests.

use std::sync::Arc;

use serde::Serialize;
use tokio::time::Instant;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::matrix::{Server, User};
use crate::report::PhaseReport;
use crate::runner::{ErrorTally, Tally};
use crate::setup;

/// The scenario's name on the command line.
pub const NAME: &str = "paginate";

/// Options of `paginate`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// Messages in the room (M), besides the events that create it.
    #[arg(long, default_value_t = 2000)]
    pub messages: usize,
    /// Events per page (`limit`).
    #[arg(long, default_value_t = 100)]
    pub page: usize,
    /// Passes through the whole room (P).
    #[arg(long, default_value_t = 5)]
    pub passes: usize,
}

/// Fills the room, then paginates through it as one phase.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    if args.messages == 0 || args.page == 0 || args.passes == 0 {
        return Err(BenchError::Options("--messages, --page and --passes must be at least 1".into()));
    }
    let deadline = ctx.deadline();
    let user = ctx.create_users(NAME, 1, deadline).await?.remove(0);
    let room = setup::public_room(ctx, &user, &[], "paginate", deadline).await?;
    setup::fill_rooms(ctx, &user, std::slice::from_ref(&room), args.messages, deadline).await?;

    let (server, page, passes) = (ctx.server.clone(), args.page, args.passes);
    let name = format!("events, pages of {page}");
    let (mut report, per_pass) =
        ctx.measure(name, None, paginate(server, user, room, page, passes, deadline)).await?;
    if let (Some(&most), Some(&fewest)) = (per_pass.iter().max(), per_pass.iter().min()) {
        report.figure("events per pass", most as f64, "");
        report.figure("pages per pass", most.div_ceil(page) as f64, "");
        // Every pass reads the same room: fewer events in one means a page went missing.
        if fewest != most {
            report.figure("fewest events in a pass", fewest as f64, "");
        }
    }
    Ok(vec![report])
}

/// Walks the room backwards `passes` times; returns the tally (ok = events) and the events
/// each complete pass saw.
async fn paginate(
    server: Server,
    user: User,
    room: String,
    page: usize,
    passes: usize,
    deadline: Instant,
) -> Result<(Tally, Vec<usize>)> {
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut errors = ErrorTally::default();
    let mut per_pass = Vec::with_capacity(passes);
    'passes: for _ in 0..passes {
        let mut from: Option<String> = None;
        let mut events = 0;
        loop {
            let began = Instant::now();
            let request = server.messages_backwards(&user, &room, from.as_deref(), page);
            let result = match tokio::time::timeout_at(deadline, request).await {
                Ok(result) => result,
                Err(_) => {
                    tally.cut_short = true;
                    break 'passes;
                }
            };
            match result {
                Ok(response) => {
                    tally.latencies.push(began.elapsed());
                    events += response.chunk.len();
                    match response.end {
                        // An empty page with a token would loop for ever on a broken server.
                        Some(end) if !response.chunk.is_empty() => from = Some(end),
                        _ => break,
                    }
                }
                Err(e) => {
                    // A pass that lost a page cannot go on: its position is gone.
                    errors.add(e.to_string());
                    break;
                }
            }
        }
        tally.ok += events;
        per_pass.push(events);
    }
    tally.errors = errors;
    tally.wall = started.elapsed();
    Ok((tally, per_pass))
}
