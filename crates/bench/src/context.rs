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
use crate::runner::{Outcome, run_jobs};
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
        let outcome = run_jobs(count, 4, deadline, move |_| {
            let ctx = Arc::clone(&ctx);
            async move { ctx.register(tag).await }
        })
        .await;
        if let Some(message) = outcome.errors.by_message.keys().next() {
            return Err(BenchError::Options(format!("creating {count} users: {message}")));
        }
        if outcome.outputs.len() < count {
            return Err(BenchError::Options(format!("creating {count} users: the time cap was reached")));
        }
        Ok(outcome.outputs.into_iter().map(|(_, user)| user).collect())
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
        let monitor = self.process.map(PhaseMonitor::start).transpose()?;
        let outcome: Outcome<T> = run_jobs(count, concurrency, deadline, job).await;
        let usage = monitor.map(PhaseMonitor::finish).transpose()?;
        let report = PhaseReport::new(name.into(), &outcome, bytes_per_op, usage);
        Ok((report, outcome.outputs))
    }
}
