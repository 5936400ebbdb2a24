//! What every scenario gets: the server, how to create users, the time cap, the server
//! process to sample, and the helper that turns a batch of requests into a measured phase.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{BenchError, Result};
use crate::matrix::{Registration, Server, User};
use crate::report::PhaseReport;
use crate::runner::{Outcome, Tally, run_jobs};
use crate::sampler::{PhaseMonitor, ServerProcess};

/// Shared by the scenarios of one run.
#[derive(Debug)]
pub struct Context {
    /// The server under test.
    pub server: Server,
    /// How users are created.
    pub registration: Registration,
    /// The server process to sample, when its pid was given.
    pub process: Option<ServerProcess>,
    /// The longest any one scenario may take.
    pub max_duration: Duration,
    /// Random per run, so usernames never collide with an earlier run's on the same server.
    run_id: String,
    password: String,
    next_user: AtomicUsize,
    next_txn: AtomicUsize,
}

impl Context {
    /// A context for one run.
    pub fn new(
        server: Server,
        registration: Registration,
        process: Option<ServerProcess>,
        max_duration: Duration,
    ) -> Self {
        let random = |n: usize| {
            let mut bytes = vec![0u8; n];
            rand::fill(&mut bytes[..]);
            hex::encode(bytes)
        };
        Self {
            server,
            registration,
            process,
            max_duration,
            run_id: random(4),
            password: random(12),
            next_user: AtomicUsize::new(0),
            next_txn: AtomicUsize::new(0),
        }
    }

    /// When a scenario starting now must be finished.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.max_duration
    }

    /// A username no other user of this run or an earlier one has; `tag` says which scenario
    /// made it, which helps when reading the server's logs.
    pub fn username(&self, tag: &str) -> String {
        format!("rb{}_{tag}{}", self.run_id, self.next_user.fetch_add(1, Ordering::Relaxed))
    }

    /// A transaction ID used nowhere else in this run: servers deduplicate sends by
    /// (session, transaction ID), so a reused one would send nothing.
    pub fn txn_id(&self) -> String {
        format!("rb{}t{}", self.run_id, self.next_txn.fetch_add(1, Ordering::Relaxed))
    }

    /// Logs `user` in again: a new session, with its own device.
    pub async fn login(&self, user: &User) -> Result<User> {
        self.server.login(&user.user_id, &self.password).await
    }

    /// Registers a fresh user.
    pub async fn register(&self, tag: &str) -> Result<User> {
        self.server.register(&self.registration, &self.username(tag), &self.password).await
    }

    /// Registers `count` users for a scenario's setup (not measured); any failure or reaching
    /// the deadline fails the setup.
    pub async fn create_users(
        self: &Arc<Self>,
        tag: &'static str,
        count: usize,
        deadline: Instant,
    ) -> Result<Vec<User>> {
        let ctx = Arc::clone(self);
        let outcome = run_jobs(count, SETUP_CONCURRENCY, deadline, move |_| {
            let ctx = Arc::clone(&ctx);
            async move { ctx.register(tag).await }
        })
        .await;
        all_or_fail(&format!("creating {count} users"), count, outcome)
    }

    /// Runs a measured phase whose operations `work` drives itself, sampling the server
    /// meanwhile; `work` returns what it counted and anything the scenario needs afterwards.
    /// What `work` returns is dropped only after the server's "after" sample, so it can keep
    /// connections open until then.
    pub async fn measure<X, Fut>(
        &self,
        name: impl Into<String>,
        bytes_per_op: Option<u64>,
        work: Fut,
    ) -> Result<(PhaseReport, X)>
    where
        Fut: Future<Output = Result<(Tally, X)>>,
    {
        let monitor = self.process.map(PhaseMonitor::start).transpose()?;
        let (tally, extra) = work.await?;
        let usage = monitor.map(PhaseMonitor::finish).transpose()?;
        Ok((PhaseReport::new(name.into(), &tally, bytes_per_op, usage), extra))
    }

    /// Waits until the server has been nearly idle (under 5 % of one CPU) for half a second,
    /// for at most `cap`: long-polls just sent are then parked, not still being processed.
    /// Without the server's pid there is nothing to watch, and it waits `cap`. Returns how long
    /// it waited.
    pub async fn settle(&self, cap: Duration) -> Result<Duration> {
        const WINDOW: Duration = Duration::from_millis(500);
        let started = Instant::now();
        let Some(process) = self.process else {
            tokio::time::sleep(cap).await;
            return Ok(cap);
        };
        let mut last = process.sample()?.cpu_seconds;
        while started.elapsed() < cap {
            tokio::time::sleep(WINDOW).await;
            let now = process.sample()?.cpu_seconds;
            if now - last < 0.05 * WINDOW.as_secs_f64() {
                break;
            }
            last = now;
        }
        Ok(started.elapsed())
    }

    /// Runs jobs `0..count`, `concurrency` at a time until `deadline`, sampling the server
    /// meanwhile, and returns the phase's figures with each successful job's output.
    pub async fn phase<T, F, Fut>(
        &self,
        name: impl Into<String>,
        count: usize,
        concurrency: usize,
        deadline: Instant,
        bytes_per_op: Option<u64>,
        job: F,
    ) -> Result<(PhaseReport, Vec<(usize, T)>)>
    where
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.measure(name, bytes_per_op, async move {
            let outcome: Outcome<T> = run_jobs(count, concurrency, deadline, job).await;
            Ok((outcome.tally, outcome.outputs))
        })
        .await
    }
}

/// Requests in flight at once during setup: enough to go quickly, few enough not to turn setup
/// into a load test of its own.
pub const SETUP_CONCURRENCY: usize = 4;

/// The outputs of a setup step that had to succeed entirely: any failure, or the deadline
/// stopping it, fails the scenario with `what` and the first error.
pub fn all_or_fail<T>(what: &str, count: usize, outcome: Outcome<T>) -> Result<Vec<T>> {
    if let Some(message) = outcome.tally.errors.by_message.keys().next() {
        return Err(BenchError::Setup(format!("{what}: {message}")));
    }
    if outcome.outputs.len() < count {
        return Err(BenchError::Setup(format!("{what}: the time cap was reached")));
    }
    Ok(outcome.outputs.into_iter().map(|(_, output)| output).collect())
}
