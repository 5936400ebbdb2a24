//! Read budgets: how many user-directory searches and profile lookups of other users each
//! account may make per hour (`[directory] reads_per_hour`). Attackers harvest by reading, and a
//! colleague looking people up needs a handful of reads an hour, so an account that reads far
//! more is refused with 429 `M_LIMIT_EXCEEDED` (and `retry_after_ms`) until the budget refills.
//!
//! Independent of `[rate_limits]`: turning the write limits off for tests or benchmarks leaves
//! the read budget on. `reads_per_hour = 0` turns it off.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use ruma::{OwnedUserId, UserId};

use crate::{CoreError, Result};

/// Above this many accounts tracked, full budgets are forgotten (they behave exactly like new
/// ones), to bound memory.
const PRUNE_ABOVE: usize = 10_000;

const HOUR: Duration = Duration::from_secs(60 * 60);

/// One account's use of its budget, kept as the time at which the budget would be full again
/// if the account stopped reading now (a generic cell rate algorithm): exact, integer
/// arithmetic, one timestamp per account.
struct Usage {
    full_at: Instant,
    /// Whether the last attempt was refused, so that running dry is logged once, not on every
    /// refused read.
    exhausted: bool,
}

/// Per-account read budgets. The budget refills continuously: a full hour's worth at most,
/// regained at `reads_per_hour` per hour, so a burst is allowed once and a steady harvest is
/// held to the hourly rate.
pub struct ReadBudget {
    per_hour: u32,
    usage: Mutex<HashMap<OwnedUserId, Usage>>,
}

impl ReadBudget {
    /// Budgets of `per_hour` reads per account and hour; 0 means unlimited.
    pub fn new(per_hour: u32) -> Self {
        Self { per_hour, usage: Mutex::default() }
    }

    /// Spends one read of `user_id`'s budget, or says how long until one is available.
    pub fn spend(&self, user_id: &UserId) -> Result<()> {
        self.spend_at(user_id, Instant::now())
    }

    fn spend_at(&self, user_id: &UserId, now: Instant) -> Result<()> {
        if self.per_hour == 0 {
            return Ok(());
        }
        // What one read costs: the time it takes to come back.
        let cost = HOUR / self.per_hour;
        let mut usage = self.usage.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if usage.len() > PRUNE_ABOVE {
            usage.retain(|_, used| used.full_at > now);
        }
        let used = usage.entry(user_id.to_owned()).or_insert(Usage { full_at: now, exhausted: false });
        let full_at = used.full_at.max(now) + cost;
        let owed = full_at.saturating_duration_since(now);
        if owed <= HOUR {
            used.full_at = full_at;
            used.exhausted = false;
            return Ok(());
        }
        if !used.exhausted {
            used.exhausted = true;
            tracing::warn!(
                user_id = %user_id,
                per_hour = self.per_hour,
                "account ran out of its directory and profile read budget"
            );
        }
        let wait_ms = (owed - HOUR).as_nanos().div_ceil(1_000_000);
        Err(CoreError::LimitExceeded { retry_after_ms: u64::try_from(wait_ms).unwrap_or(u64::MAX) })
    }
}

#[cfg(test)]
mod tests {
    use ruma::user_id;

    use super::*;

    fn retry_after(result: Result<()>) -> u64 {
        match result {
            Err(CoreError::LimitExceeded { retry_after_ms }) => retry_after_ms,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_full_budget_then_refusal_until_it_refills() {
        let budget = ReadBudget::new(3);
        let (alice, bob) = (user_id!("@alice:x"), user_id!("@bob:x"));
        let start = Instant::now();
        for _ in 0..3 {
            budget.spend_at(alice, start).unwrap();
        }
        // One read comes back every 20 minutes at 3 reads an hour.
        assert_eq!(retry_after(budget.spend_at(alice, start)), 20 * 60 * 1000);
        let later = start + Duration::from_secs(10 * 60);
        assert_eq!(retry_after(budget.spend_at(alice, later)), 10 * 60 * 1000);
        budget.spend_at(bob, start).expect("budgets are per account");
        budget.spend_at(alice, start + Duration::from_secs(20 * 60)).expect("refilled");
    }

    #[test]
    fn the_budget_never_exceeds_an_hour_of_reads() {
        let budget = ReadBudget::new(2);
        let alice = user_id!("@alice:x");
        let start = Instant::now();
        budget.spend_at(alice, start).unwrap();
        let much_later = start + Duration::from_secs(10 * 60 * 60);
        budget.spend_at(alice, much_later).unwrap();
        budget.spend_at(alice, much_later).unwrap();
        retry_after(budget.spend_at(alice, much_later));
    }

    #[test]
    fn zero_means_unlimited() {
        let budget = ReadBudget::new(0);
        for _ in 0..1000 {
            budget.spend(user_id!("@alice:x")).unwrap();
        }
    }
}
