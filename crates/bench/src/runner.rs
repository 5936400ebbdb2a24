//! Runs a phase's requests: a fixed number of jobs over a fixed number of concurrent workers,
//! stopping at a deadline, so a slow or stuck server yields partial figures instead of a hang.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::Result;

/// Distinct error messages kept per phase; the rest are counted under one "other" line.
const MAX_DISTINCT_ERRORS: usize = 8;

/// Failed jobs: how many, and which messages.
#[derive(Debug, Default, Clone)]
pub struct ErrorTally {
    /// Jobs that failed.
    pub count: usize,
    /// Failures by message (at most a few distinct ones).
    pub by_message: BTreeMap<String, usize>,
}

impl ErrorTally {
    /// Counts one failure with `message`.
    pub fn add(&mut self, message: String) {
        self.add_n(message, 1);
    }

    /// Counts `n` failures with the same `message`.
    pub fn add_n(&mut self, message: String, n: usize) {
        if n == 0 {
            return;
        }
        self.count += n;
        let key = if self.by_message.len() < MAX_DISTINCT_ERRORS || self.by_message.contains_key(&message) {
            message
        } else {
            "(other errors)".to_owned()
        };
        *self.by_message.entry(key).or_default() += n;
    }

    /// Adds every failure of `other`.
    pub fn merge(&mut self, other: ErrorTally) {
        for (message, n) in other.by_message {
            self.add_n(message, n);
        }
    }
}

/// The figures of a measured phase, however its operations were driven.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Operations that succeeded.
    pub ok: usize,
    /// Latency of operations that succeeded (not necessarily one per operation: a phase whose
    /// operations are events may time the requests that carried them).
    pub latencies: Vec<Duration>,
    /// Operations that failed.
    pub errors: ErrorTally,
    /// Wall-clock time of the phase.
    pub wall: Duration,
    /// Whether the deadline stopped the phase before every operation ran.
    pub cut_short: bool,
}

/// What a phase's jobs produced.
#[derive(Debug)]
pub struct Outcome<T> {
    /// The figures; `ok` is the number of outputs.
    pub tally: Tally,
    /// Each successful job's index and result, in index order.
    pub outputs: Vec<(usize, T)>,
}

/// Which jobs a worker runs.
#[derive(Debug, Clone, Copy)]
enum Schedule {
    /// Any free worker takes the next job.
    Pooled,
    /// Worker `w` runs jobs `w * n .. (w + 1) * n` in order, so that each worker stands for one
    /// client whose requests follow one another, as a real client's do.
    Sequences(usize),
}

/// Runs jobs `0..count` with at most `concurrency` at a time until all are done or `deadline`
/// passes; a job still running at the deadline is abandoned and counted neither way.
pub async fn run_jobs<T, F, Fut>(count: usize, concurrency: usize, deadline: Instant, job: F) -> Outcome<T>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    run(count, concurrency.clamp(1, count.max(1)), Schedule::Pooled, deadline, job).await
}

/// Runs `workers` sequences of `per_worker` jobs each, the sequences concurrently and each
/// one's jobs one after another: job `i` belongs to sequence `i / per_worker` and is its
/// `i % per_worker`-th. Stops at `deadline` like [`run_jobs`].
pub async fn run_sequences<T, F, Fut>(workers: usize, per_worker: usize, deadline: Instant, job: F) -> Outcome<T>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    run(workers * per_worker, workers, Schedule::Sequences(per_worker), deadline, job).await
}

async fn run<T, F, Fut>(count: usize, concurrency: usize, schedule: Schedule, deadline: Instant, job: F) -> Outcome<T>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = JoinSet::new();
    for worker in 0..concurrency {
        let (job, next) = (Arc::clone(&job), Arc::clone(&next));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut outputs = Vec::new();
            let mut errors = ErrorTally::default();
            let mut cut_short = false;
            let mut own = match schedule {
                Schedule::Pooled => 0..0,
                Schedule::Sequences(n) => worker * n..(worker + 1) * n,
            };
            loop {
                let i = match schedule {
                    Schedule::Pooled => next.fetch_add(1, Ordering::Relaxed),
                    Schedule::Sequences(_) => own.next().unwrap_or(usize::MAX),
                };
                if i >= count {
                    break;
                }
                let began = Instant::now();
                if began >= deadline {
                    cut_short = true;
                    break;
                }
                match tokio::time::timeout_at(deadline, job(i)).await {
                    Ok(Ok(output)) => {
                        latencies.push(began.elapsed());
                        outputs.push((i, output));
                    }
                    Ok(Err(e)) => errors.add(e.to_string()),
                    Err(_) => {
                        cut_short = true;
                        break;
                    }
                }
            }
            (latencies, outputs, errors, cut_short)
        });
    }
    let mut tally = Tally::default();
    let mut outputs = Vec::new();
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok((latencies, outs, errors, cut_short)) => {
                tally.latencies.extend(latencies);
                outputs.extend(outs);
                tally.errors.merge(errors);
                tally.cut_short |= cut_short;
            }
            Err(e) => tally.errors.add(format!("worker panicked: {e}")),
        }
    }
    tally.wall = start.elapsed();
    tally.ok = outputs.len();
    outputs.sort_by_key(|(i, _)| *i);
    Outcome { tally, outputs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BenchError;

    #[tokio::test]
    async fn every_job_runs_once_and_failures_are_tallied() {
        let deadline = Instant::now() + Duration::from_secs(30);
        let outcome = run_jobs(20, 3, deadline, |i| async move {
            if i % 5 == 0 { Err(BenchError::Unexpected(format!("bad {}", i % 2))) } else { Ok(i * 10) }
        })
        .await;
        assert_eq!(outcome.outputs.len(), 16);
        assert_eq!(outcome.tally.ok, 16);
        assert_eq!(outcome.tally.latencies.len(), 16);
        assert!(outcome.outputs.iter().all(|(i, out)| *out == i * 10));
        assert_eq!(outcome.tally.errors.count, 4);
        assert_eq!(outcome.tally.errors.by_message.get("unexpected response: bad 0"), Some(&2));
        assert!(!outcome.tally.cut_short);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_cuts_a_phase_short() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let outcome = run_jobs(1000, 2, deadline, |_| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        })
        .await;
        assert!(outcome.tally.cut_short);
        assert!(outcome.outputs.len() < 12, "{}", outcome.outputs.len());
        assert_eq!(outcome.tally.errors.count, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn each_sequence_runs_its_own_jobs_in_order() {
        let deadline = Instant::now() + Duration::from_secs(30);
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let job_log = Arc::clone(&log);
        let outcome = run_sequences(3, 4, deadline, move |i| {
            let log = Arc::clone(&job_log);
            async move {
                // Later jobs of a sequence finish faster: only one-at-a-time keeps them ordered.
                tokio::time::sleep(Duration::from_millis(10 * (5 - (i % 4) as u64))).await;
                log.lock().unwrap().push(i);
                Ok(i)
            }
        })
        .await;
        assert_eq!(outcome.tally.ok, 12);
        assert_eq!(run_sequences(0, 4, deadline, |i| async move { Ok(i) }).await.tally.ok, 0);
        let log = log.lock().unwrap();
        for sequence in 0..3 {
            let order: Vec<usize> = log.iter().copied().filter(|i| i / 4 == sequence).collect();
            assert_eq!(order, (sequence * 4..sequence * 4 + 4).collect::<Vec<_>>());
        }
    }

    #[test]
    fn distinct_messages_are_capped() {
        let mut tally = ErrorTally::default();
        for i in 0..20 {
            tally.add(format!("error {i}"));
        }
        assert_eq!(tally.count, 20);
        assert_eq!(tally.by_message.len(), MAX_DISTINCT_ERRORS + 1);
        assert_eq!(tally.by_message["(other errors)"], 20 - MAX_DISTINCT_ERRORS);
        tally.add_n("error 0".into(), 3);
        tally.add_n("never".into(), 0);
        assert_eq!((tally.count, tally.by_message["error 0"]), (23, 4));
    }
}
