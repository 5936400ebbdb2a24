//! Latency summaries: percentiles over the durations a phase recorded.

use std::time::Duration;

use serde::Serialize;

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// How many latencies were summarised.
    pub count: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
}

impl LatencySummary {
    /// Summarises `latencies` (any order); `None` when there are none.
    pub fn from_durations(latencies: &[Duration]) -> Option<Self> {
        let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        if ms.is_empty() {
            return None;
        }
        ms.sort_by(f64::total_cmp);
        let mean_ms = ms.iter().sum::<f64>() / ms.len() as f64;
        Some(Self {
            count: ms.len(),
            p50_ms: percentile(&ms, 50.0),
            p95_ms: percentile(&ms, 95.0),
            p99_ms: percentile(&ms, 99.0),
            max_ms: ms[ms.len() - 1],
            mean_ms,
        })
    }
}

/// Nearest-rank percentile of sorted, non-empty `sorted`: the smallest value such that at
/// least `p` percent of the values are at or below it. Never interpolates, so every figure
/// reported is a latency that was really observed.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 95.0), 95.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&values, 0.0), 1.0);

        let few = [10.0, 20.0, 30.0];
        assert_eq!(percentile(&few, 50.0), 20.0);
        assert_eq!(percentile(&few, 99.0), 30.0);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
    }

    #[test]
    fn summary_sorts_and_averages() {
        let durations: Vec<Duration> = [40, 10, 30, 20].into_iter().map(Duration::from_millis).collect();
        let summary = LatencySummary::from_durations(&durations).unwrap();
        assert_eq!(summary.count, 4);
        assert_eq!(summary.p50_ms, 20.0);
        assert_eq!(summary.p95_ms, 40.0);
        assert_eq!(summary.max_ms, 40.0);
        assert!((summary.mean_ms - 25.0).abs() < 1e-9);
        assert_eq!(LatencySummary::from_durations(&[]), None);
    }
}
