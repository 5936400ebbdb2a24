//! `initial-sync`: one user in R rooms with M messages each (made during setup, not measured),
//! then N full initial syncs (`/sync` without `since`, the server's default filter), one after
//! another: time per sync and response size.
//!
//! Synapse keeps a finished sync response for two minutes (`sync_response_cache_duration`)
//! and answers an identical request from that cache; each sync here asks with a different
//! `timeout` (0, 1, 2... ms), which an initial sync ignores, so every one is computed, as a
//! new device's first sync is.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::matrix::{SyncQuery, SyncResponse};
use crate::report::PhaseReport;
use crate::setup;

/// The scenario's name on the command line.
pub const NAME: &str = "initial-sync";

const KIB: f64 = 1024.0;

/// Options of `initial-sync`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// Rooms the user is in (R).
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Messages in each room (M), besides the events that create it.
    #[arg(long, default_value_t = 10)]
    pub messages: usize,
    /// Initial syncs to time (N).
    #[arg(long, default_value_t = 5)]
    pub syncs: usize,
}

/// Sets up the rooms, then times the syncs as one phase.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    if args.rooms == 0 || args.syncs == 0 {
        return Err(BenchError::Options("--rooms and --syncs must be at least 1".into()));
    }
    let deadline = ctx.deadline();
    let user = ctx.create_users("isync", 1, deadline).await?.remove(0);
    let rooms = setup::public_rooms(ctx, &user, args.rooms, "initial-sync", deadline).await?;
    setup::fill_rooms(ctx, &user, &rooms, args.messages, deadline).await?;

    let (server, sync_user) = (ctx.server.clone(), user.clone());
    let name = format!("{} rooms x {} messages", args.rooms, args.messages);
    let (mut report, bodies) = ctx
        .phase(name, args.syncs, 1, deadline, None, move |i| {
            let (server, user) = (server.clone(), sync_user.clone());
            async move {
                let query = SyncQuery { since: None, timeout_ms: i as u64, filter: None };
                server.sync(&user, query).await
            }
        })
        .await?;
    let bodies: Vec<Bytes> = bodies.into_iter().map(|(_, body)| body).collect();
    let sizes = Sizes::of(&bodies);
    if let Some(latency) = report.latency {
        report.figure("max", latency.max_ms, "ms");
    }
    if let Some(sizes) = sizes {
        report.figure("response mean", sizes.mean / KIB, "KiB");
        report.figure("response max", sizes.max as f64 / KIB, "KiB");
    }
    // A response that leaves rooms out would be fast for the wrong reason.
    if let Some(first) = bodies.first() {
        let response: SyncResponse = serde_json::from_slice(first)
            .map_err(|e| BenchError::Unexpected(format!("initial sync response: {e}")))?;
        report.figure("rooms in response", response.rooms.join.len() as f64, "");
    }
    Ok(vec![report])
}

/// Mean and largest size of a set of responses, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sizes {
    mean: f64,
    max: usize,
}

impl Sizes {
    /// `None` when there are no responses.
    fn of(bodies: &[Bytes]) -> Option<Self> {
        let max = bodies.iter().map(Bytes::len).max()?;
        let mean = bodies.iter().map(Bytes::len).sum::<usize>() as f64 / bodies.len() as f64;
        Some(Self { mean, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_summarised() {
        let bodies = [Bytes::from_static(b"abcd"), Bytes::from_static(b"ab")];
        assert_eq!(Sizes::of(&bodies), Some(Sizes { mean: 3.0, max: 4 }));
        assert_eq!(Sizes::of(&[]), None);
    }
}
