//! Token-bucket rate limiting for writes, per user (or per IP for unauthenticated requests).
//! The HTTP edge applies it to every endpoint the spec marks as rate-limited.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use rempart_types::config::RateLimitConfig;

use crate::{CoreError, Result};

/// Buckets are dropped after this long without use, to bound memory.
const IDLE_EXPIRY: Duration = Duration::from_secs(600);

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A set of token buckets sharing one rate.
pub struct RateLimiter {
    enabled: bool,
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` tokens per key with bursts of `burst`; a disabled one
    /// (or one with no rate) lets everything through.
    pub fn new(enabled: bool, per_second: f64, burst: u32) -> Self {
        Self {
            enabled: enabled && per_second > 0.0,
            per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// The general per-account write limiter of the configuration.
    pub fn for_accounts(config: &RateLimitConfig) -> Self {
        Self::new(config.enabled, config.per_second, config.burst)
    }

    /// The per-client-address write limiter of the configuration.
    pub fn for_addresses(config: &RateLimitConfig) -> Self {
        Self::new(config.enabled, config.address_per_second, config.address_burst)
    }

    /// Takes one token for `key`, or says how long to wait.
    pub fn check(&self, key: &str) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.updated) < IDLE_EXPIRY);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: self.burst, updated: now });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / self.per_second;
        Err(CoreError::LimitExceeded { retry_after_ms: (wait * 1000.0).ceil() as u64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_with_retry_hint() {
        let limiter = RateLimiter::new(true, 1.0, 3);
        for _ in 0..3 {
            limiter.check("@a:x").unwrap();
        }
        match limiter.check("@a:x") {
            Err(CoreError::LimitExceeded { retry_after_ms }) => assert!(retry_after_ms > 0 && retry_after_ms <= 1000),
            other => panic!("expected a limit, got {other:?}"),
        }
        limiter.check("@b:x").unwrap();
    }

    #[test]
    fn disabled_never_limits() {
        let limiter = RateLimiter::new(false, 1.0, 1);
        for _ in 0..100 {
            limiter.check("@a:x").unwrap();
        }
    }
}
