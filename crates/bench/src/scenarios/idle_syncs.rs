//! `idle-syncs`: C concurrent long-polling `/sync` requests on a quiet server, and what holding
//! them costs the server in memory: RSS and PSS before they connect and once they are all
//! parked, the difference in total and per connection.
//!
//! Registering C users would take minutes on a server that hashes passwords with bcrypt, so
//! the connections are spread over U users (default 50, 20 long-polls each). A user's own
//! long-polls differ in their `timeout` (30 000, 30 001... ms): Synapse answers identical
//! concurrent syncs of one session with one computation, which real clients, each with its own
//! device, never get. `--devices-per-user` logs users in again for more sessions (one password
//! hash per login). "All parked" means the server holds at least C sockets and its CPU has
//! gone quiet; each long-poll that returns (timeout or news) is renewed at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::context::{Context, SETUP_CONCURRENCY, all_or_fail};
use crate::error::{BenchError, Result};
use crate::matrix::{Server, SyncQuery, SyncResponse, User};
use crate::report::PhaseReport;
use crate::runner::{ErrorTally, Tally, run_jobs};
use crate::sampler::ServerUsage;
use crate::setup;

/// The scenario's name on the command line.
pub const NAME: &str = "idle-syncs";

/// The long-polls' filter: what a client asks for, though these users have no rooms.
const FILTER: &str = r#"{"room":{"timeline":{"limit":10}}}"#;

/// Longest wait, once every connection is open, for the server's CPU to go quiet.
const SETTLE_CAP: Duration = Duration::from_secs(10);

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Options of `idle-syncs`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// Concurrent idle long-polls (C).
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Users holding them, the long-polls spread evenly over their sessions (U).
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    /// Sessions per user: the one registration gave, and the rest by password login.
    #[arg(long, default_value_t = 1)]
    pub devices_per_user: usize,
    /// The long-poll timeout, in seconds.
    #[arg(long, default_value_t = 30)]
    pub poll_timeout: u64,
    /// Longest wait for the server to hold all the connections, in seconds.
    #[arg(long, default_value_t = 60)]
    pub connect_cap: u64,
}

/// Sets up the sessions, opens the long-polls and measures them as one phase.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    if args.connections == 0 || args.users == 0 || args.devices_per_user == 0 || args.poll_timeout == 0 {
        return Err(BenchError::Options(
            "--connections, --users, --devices-per-user and --poll-timeout must be at least 1".into(),
        ));
    }
    let deadline = ctx.deadline();
    let users = ctx.create_users("idle", args.users, deadline).await?;
    let sessions = Arc::new(sessions(ctx, users, args.devices_per_user, deadline).await?);
    let since = setup::first_since(ctx, &sessions, FILTER, deadline).await?;

    let connections = args.connections;
    let (ctx_work, server) = (Arc::clone(ctx), ctx.server.clone());
    let (timeout_ms, connect_cap) = (args.poll_timeout * 1000, Duration::from_secs(args.connect_cap));
    let (mut report, (tasks, held, answered)) = ctx
        .measure(format!("{connections} long-polls"), None, async move {
            let started = Instant::now();
            let shared = Arc::new(Shared::default());
            let mut tasks = JoinSet::new();
            for j in 0..connections {
                let session = j % sessions.len();
                let poll = Poll {
                    server: server.clone(),
                    user: sessions[session].clone(),
                    // Distinct within a session, so no two requests are the same (see above).
                    timeout_ms: timeout_ms + (j / sessions.len()) as u64,
                    shared: Arc::clone(&shared),
                };
                tasks.spawn(poll.run(since[session].clone()));
            }
            let held = wait_until_held(&ctx_work, connections, (started + connect_cap).min(deadline)).await?;
            ctx_work.settle(SETTLE_CAP).await?;
            let errors = std::mem::take(&mut *shared.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
            let failed = shared.failed.load(Ordering::Relaxed);
            let tally = Tally {
                ok: connections.saturating_sub(failed),
                latencies: Vec::new(),
                cut_short: Instant::now() >= deadline,
                errors,
                wall: started.elapsed(),
            };
            let answered = shared.answered.load(Ordering::Relaxed);
            Ok((tally, (tasks, held, answered)))
        })
        .await?;
    // Only now, after the server's "after" sample, are the connections closed.
    drop(tasks);
    if let Some(held) = held {
        report.figure("server sockets", held as f64, "");
    }
    // Idle long-polls should all still be waiting; answers mean news or timeouts meanwhile.
    report.figure("polls answered", answered as f64, "");
    if let Some(usage) = report.server {
        for (name, growth) in memory_growth(&usage, connections) {
            report.figure(&format!("{name} growth"), growth.total_bytes / MIB, "MiB");
            report.figure(&format!("{name} per connection"), growth.per_connection_bytes / KIB, "KiB");
        }
    }
    Ok(vec![report])
}

/// `users`' sessions: each user's own, and `per_user - 1` more per user by password login.
async fn sessions(ctx: &Arc<Context>, users: Vec<User>, per_user: usize, deadline: Instant) -> Result<Vec<User>> {
    let logins = users.len() * (per_user - 1);
    let (ctx_job, to_login) = (Arc::clone(ctx), Arc::new(users.clone()));
    let outcome = run_jobs(logins, SETUP_CONCURRENCY, deadline, move |i| {
        let (ctx, users) = (Arc::clone(&ctx_job), Arc::clone(&to_login));
        async move { ctx.login(&users[i % users.len()]).await }
    })
    .await;
    let mut sessions = users;
    sessions.extend(all_or_fail(&format!("{logins} logins"), logins, outcome)?);
    Ok(sessions)
}

/// Waits until the server holds at least `connections` sockets or `until` passes; returns the
/// last count, or `None` without the server's pid (then it only waits for the settle).
async fn wait_until_held(ctx: &Context, connections: usize, until: Instant) -> Result<Option<usize>> {
    let Some(process) = ctx.process else { return Ok(None) };
    loop {
        let held = process.sockets()?;
        if held >= connections || Instant::now() >= until {
            return Ok(Some(held));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the long-polls of a phase counted.
#[derive(Debug, Default)]
struct Shared {
    errors: Mutex<ErrorTally>,
    /// Connections that saw at least one failure.
    failed: AtomicUsize,
    /// Long-polls that returned a response (and were renewed).
    answered: AtomicUsize,
}

/// One idle client: long-polls, renewing each poll as soon as it returns.
struct Poll {
    server: Server,
    user: User,
    timeout_ms: u64,
    shared: Arc<Shared>,
}

impl Poll {
    async fn run(self, mut since: String) {
        let mut failed = false;
        loop {
            let query = SyncQuery { since: Some(&since), timeout_ms: self.timeout_ms, filter: Some(FILTER) };
            let result = self.server.sync(&self.user, query).await.and_then(|body| {
                serde_json::from_slice::<SyncResponse>(&body)
                    .map_err(|e| BenchError::Unexpected(format!("sync response: {e}")))
            });
            match result {
                Ok(response) => {
                    self.shared.answered.fetch_add(1, Ordering::Relaxed);
                    since = response.next_batch;
                }
                Err(e) => {
                    self.shared.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).add(e.to_string());
                    if !failed {
                        failed = true;
                        self.shared.failed.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// How much one kind of memory grew while the connections were held.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Growth {
    total_bytes: f64,
    per_connection_bytes: f64,
}

/// RSS and PSS growth from before the connections to while they were held ("after"); negative
/// when the server gave memory back meanwhile.
fn memory_growth(usage: &ServerUsage, connections: usize) -> [(&'static str, Growth); 2] {
    let growth = |before: u64, after: u64| {
        let total_bytes = after as f64 - before as f64;
        Growth { total_bytes, per_connection_bytes: total_bytes / connections.max(1) as f64 }
    };
    [
        ("RSS", growth(usage.rss_before_bytes, usage.rss_after_bytes)),
        ("PSS", growth(usage.pss_before_bytes, usage.pss_after_bytes)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_per_connection_and_may_be_negative() {
        let usage = ServerUsage {
            cpu_seconds: 1.0,
            rss_before_bytes: 100 << 20,
            rss_after_bytes: 120 << 20,
            peak_rss_bytes: 130 << 20,
            pss_before_bytes: 90 << 20,
            pss_after_bytes: 89 << 20,
            peak_pss_bytes: 95 << 20,
            processes: 1,
        };
        let [(rss_name, rss), (pss_name, pss)] = memory_growth(&usage, 1024);
        assert_eq!((rss_name, pss_name), ("RSS", "PSS"));
        assert_eq!(rss, Growth { total_bytes: f64::from(20 << 20), per_connection_bytes: 20.0 * 1024.0 });
        assert_eq!(pss.per_connection_bytes, -1024.0);
    }
}
