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
    fn add(&mut self, message: String) {
        self.count += 1;
        let key = if self.by_message.len() < MAX_DISTINCT_ERRORS || self.by_message.contains_key(&message) {
            message
        } else {
            "(other errors)".to_owned()
        };
        *self.by_message.entry(key).or_default() += 1;
    }

    fn merge(&mut self, other: ErrorTally) {
        for (message, n) in other.by_message {
            for _ in 0..n {
                self.add(message.clone());
            }
        }
    }
}

/// What a phase's jobs produced.
#[derive(Debug)]
pub struct Outcome<T> {
    /// Latency of each job that succeeded.
    pub latencies: Vec<Duration>,
    /// Each successful job's index and result, in index order.
    pub outputs: Vec<(usize, T)>,
    /// Jobs that failed.
    pub errors: ErrorTally,
    /// From the first job's start to the last one's end.
    pub wall: Duration,
    /// Whether the deadline stopped the phase before every job ran.
    pub cut_short: bool,
}

/// Runs jobs `0..count` with at most `concurrency` at a time until all are done or `deadline`
/// passes; a job still running at the deadline is abandoned and counted neither way.
pub async fn run_jobs<T, F, Fut>(count: usize, concurrency: usize, deadline: Instant, job: F) -> Outcome<T>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.clamp(1, count.max(1)) {
        let (job, next) = (Arc::clone(&job), Arc::clone(&next));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut outputs = Vec::new();
            let mut errors = ErrorTally::default();
            let mut cut_short = false;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
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
    let mut outcome = Outcome {
        latencies: Vec::new(),
        outputs: Vec::new(),
        errors: ErrorTally::default(),
        wall: Duration::ZERO,
        cut_short: false,
    };
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok((latencies, outputs, errors, cut_short)) => {
                outcome.latencies.extend(latencies);
                outcome.outputs.extend(outputs);
                outcome.errors.merge(errors);
                outcome.cut_short |= cut_short;
            }
            Err(e) => outcome.errors.add(format!("worker panicked: {e}")),
        }
    }
    outcome.wall = start.elapsed();
    outcome.outputs.sort_by_key(|(i, _)| *i);
    outcome
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
        assert_eq!(outcome.latencies.len(), 16);
        assert!(outcome.outputs.iter().all(|(i, out)| *out == i * 10));
        assert_eq!(outcome.errors.count, 4);
        assert_eq!(outcome.errors.by_message.get("unexpected response: bad 0"), Some(&2));
        assert!(!outcome.cut_short);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_cuts_a_phase_short() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let outcome = run_jobs(1000, 2, deadline, |_| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        })
        .await;
        assert!(outcome.cut_short);
        assert!(outcome.outputs.len() < 12, "{}", outcome.outputs.len());
        assert_eq!(outcome.errors.count, 0);
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
    }
}
