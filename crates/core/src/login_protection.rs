//! Brute-force and credential-stuffing protection of password checks (`[login_protection]`),
//! independent of the general write limits so that turning those off leaves it on.
//!
//! Failed password checks are counted twice: per *(account, source address)* and per source
//! address. Past `free_failures_per_account` (resp. `free_failures_per_ip`) failures, further
//! attempts are refused with `M_LIMIT_EXCEEDED` and `retry_after_ms` until a back-off has passed
//! since the last failure; it starts at `initial_backoff_ms` and doubles with every further
//! failure, up to `max_backoff_ms`. Refusal happens before the password is hashed, so a refused
//! attempt costs no Argon2 time. A counter is forgotten once `failure_window_secs` have passed
//! since its last failure; a successful login clears the account's counter for that address (not
//! the address's own counter, which measures the address's behaviour across accounts).
//!
//! Why the account counter is keyed by the address too: a counter keyed by the account alone
//! lets anyone lock a victim out by failing logins in the victim's name, which on a platform
//! whose user ids are guessable (first.last) is a denial of service against anyone. Keyed by
//! (account, address), the back-off slows only the address that failed; the owner logging in
//! from anywhere else is unaffected. The price is that a guesser spreading attempts over many
//! addresses gets the free failures once per address: the per-address counter limits each
//! address across all accounts, IPv6 addresses count by /64 network (one subscriber holds a whole
//! /64), and the password policy (12 characters by default) makes a few guesses per address
//! worthless. Unknown accounts are counted exactly like real ones, so the limits reveal nothing
//! about which accounts exist.
//!
//! Attempts in flight reserve their place: concurrent requests cannot all slip in before the
//! first failure is recorded. Memory is bounded: expired counters are pruned (amortised over
//! the calls), and past a hard cap the oldest are forgotten.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use rempart_storage::UserRecord;
use rempart_types::config::LoginProtectionConfig;
use ruma::UserId;

use crate::{Result, Services, accounts};

/// Counters kept before the first pruning pass; pruning runs again when the tables have doubled.
const PRUNE_FLOOR: usize = 4_096;
/// Counters kept per table at most; past it the oldest are forgotten.
const MAX_ENTRIES: usize = 100_000;

/// Where a password check comes from.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// A login from this client address.
    Address(&'a str),
    /// A login whose client address is unknown (the listener always knows it; in-process
    /// callers may not).
    UnknownAddress,
    /// User-interactive authentication by a session of the account itself. Only holders of
    /// one of the account's tokens get there, so failures cannot be used to lock others out,
    /// and a stolen token does not give unlimited guesses at the password.
    OwnSession,
}

impl Origin<'_> {
    fn source_key(self) -> String {
        match self {
            Self::Address(ip) => format!("ip:{}", network_key(ip)),
            Self::UnknownAddress => "ip:unknown".to_owned(),
            Self::OwnSession => "session".to_owned(),
        }
    }

    fn address_key(self) -> Option<String> {
        match self {
            Self::Address(ip) => Some(network_key(ip)),
            Self::UnknownAddress | Self::OwnSession => None,
        }
    }
}

/// The key under which a client address is limited: an IPv4 address as is, an IPv6 address by
/// its /64 network, because one subscriber usually holds a whole /64 and could otherwise use a
/// fresh address for every attempt. Also used by the general write limits.
pub fn network_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[derive(Debug, Default)]
struct Entry {
    failures: u32,
    last_failure: Option<Instant>,
    in_flight: u32,
}

impl Entry {
    fn live_failures(&self, now: Instant, window: Duration) -> u32 {
        match self.last_failure {
            Some(last) if now.saturating_duration_since(last) < window => self.failures,
            _ => 0,
        }
    }

    fn record_failure(&mut self, now: Instant, window: Duration) {
        self.failures = self.live_failures(now, window).saturating_add(1);
        self.last_failure = Some(now);
    }

    fn is_live(&self, now: Instant, window: Duration) -> bool {
        self.in_flight > 0 || self.live_failures(now, window) > 0
    }
}

#[derive(Default)]
struct Counters {
    by_account: HashMap<(String, String), Entry>,
    by_address: HashMap<String, Entry>,
    next_prune: usize,
}

impl Counters {
    fn prune(&mut self, now: Instant, window: Duration) {
        if self.by_account.len() + self.by_address.len() < self.next_prune.max(PRUNE_FLOOR) {
            return;
        }
        self.by_account.retain(|_, entry| entry.is_live(now, window));
        self.by_address.retain(|_, entry| entry.is_live(now, window));
        forget_oldest(&mut self.by_account);
        forget_oldest(&mut self.by_address);
        self.next_prune = 2 * (self.by_account.len() + self.by_address.len());
    }
}

/// Past [`MAX_ENTRIES`], forgets the counters with the oldest last failure (never those of
/// attempts in flight, whose outcome still has to be recorded).
fn forget_oldest<K: Clone + Eq + Hash>(map: &mut HashMap<K, Entry>) {
    if map.len() <= MAX_ENTRIES {
        return;
    }
    let mut idle: Vec<(Option<Instant>, K)> =
        map.iter().filter(|(_, e)| e.in_flight == 0).map(|(k, e)| (e.last_failure, k.clone())).collect();
    idle.sort_by_key(|(last, _)| *last);
    let excess = map.len() - MAX_ENTRIES * 3 / 4;
    for (_, key) in idle.into_iter().take(excess) {
        map.remove(&key);
    }
}

struct Keys {
    account: (String, String),
    address: Option<String>,
}

enum Outcome {
    Failed,
    Succeeded,
    Abandoned,
}

/// The failure counters of password checks.
pub struct LoginProtection {
    config: LoginProtectionConfig,
    counters: Mutex<Counters>,
}

/// A password check allowed to proceed; report its outcome with [`Attempt::failed`] or
/// [`Attempt::succeeded`]. Dropping it without either (the check itself failed) counts
/// nothing.
#[must_use = "report the outcome of the password check"]
pub struct Attempt<'a> {
    protection: &'a LoginProtection,
    keys: Option<Keys>,
}

impl Attempt<'_> {
    /// The password was wrong (or the account unknown).
    pub fn failed(mut self) {
        self.finish(Outcome::Failed, Instant::now());
    }

    /// The password was right: the account's counter for this source is cleared.
    pub fn succeeded(mut self) {
        self.finish(Outcome::Succeeded, Instant::now());
    }

    fn finish(&mut self, outcome: Outcome, now: Instant) {
        if let Some(keys) = self.keys.take() {
            self.protection.finish(&keys, &outcome, now);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.finish(Outcome::Abandoned, Instant::now());
    }
}

impl LoginProtection {
    /// Counters following the configuration.
    pub fn new(config: &LoginProtectionConfig) -> Self {
        Self { config: config.clone(), counters: Mutex::default() }
    }

    /// Starts a password check for `account` from `origin`, or refuses it with
    /// `M_LIMIT_EXCEEDED` while the account (from this source) or the source address is backed
    /// off.
    pub fn begin(&self, account: &UserId, origin: Origin<'_>) -> Result<Attempt<'_>> {
        self.begin_at(account, origin, Instant::now())
    }

    fn begin_at(&self, account: &UserId, origin: Origin<'_>, now: Instant) -> Result<Attempt<'_>> {
        if !self.config.enabled {
            return Ok(Attempt { protection: self, keys: None });
        }
        let keys = Keys { account: (account.as_str().to_owned(), origin.source_key()), address: origin.address_key() };
        let window = self.window();
        let mut counters = self.lock();
        counters.prune(now, window);
        let account_wait =
            self.wait(counters.by_account.get(&keys.account), self.config.free_failures_per_account, now);
        let address_wait = keys
            .address
            .as_ref()
            .and_then(|key| self.wait(counters.by_address.get(key), self.config.free_failures_per_ip, now));
        if let Some(wait) = account_wait.max(address_wait) {
            let retry_after_ms = u64::try_from(wait.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX).max(1);
            return Err(crate::CoreError::LimitExceeded { retry_after_ms });
        }
        counters.by_account.entry(keys.account.clone()).or_default().in_flight += 1;
        if let Some(key) = &keys.address {
            counters.by_address.entry(key.clone()).or_default().in_flight += 1;
        }
        Ok(Attempt { protection: self, keys: Some(keys) })
    }

    /// How long an attempt against `entry` must still wait, if at all.
    fn wait(&self, entry: Option<&Entry>, free_failures: u32, now: Instant) -> Option<Duration> {
        let entry = entry?;
        let failures = entry.live_failures(now, self.window());
        let threshold = free_failures.max(1);
        if failures.saturating_add(entry.in_flight) < threshold {
            return None;
        }
        if entry.in_flight > 0 {
            // Attempts still being checked may be failures that start (or lengthen) the
            // back-off; waiting for their outcome keeps concurrent requests from bypassing it.
            return Some(Duration::from_millis(self.config.initial_backoff_ms.max(1)));
        }
        let doublings = failures - threshold;
        let backoff_ms = self
            .config
            .initial_backoff_ms
            .saturating_mul(1u64.checked_shl(doublings).unwrap_or(u64::MAX))
            .min(self.config.max_backoff_ms);
        let until = entry.last_failure? + Duration::from_millis(backoff_ms);
        Some(until.saturating_duration_since(now)).filter(|wait| !wait.is_zero())
    }

    fn finish(&self, keys: &Keys, outcome: &Outcome, now: Instant) {
        let window = self.window();
        let mut counters = self.lock();
        if let Some(entry) = counters.by_account.get_mut(&keys.account) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            match outcome {
                Outcome::Failed => entry.record_failure(now, window),
                Outcome::Succeeded => *entry = Entry { in_flight: entry.in_flight, ..Entry::default() },
                Outcome::Abandoned => {}
            }
            if !entry.is_live(now, window) {
                counters.by_account.remove(&keys.account);
            }
        }
        if let Some(key) = &keys.address
            && let Some(entry) = counters.by_address.get_mut(key)
        {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            if matches!(outcome, Outcome::Failed) {
                entry.record_failure(now, window);
            }
            if !entry.is_live(now, window) {
                counters.by_address.remove(key);
            }
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.config.failure_window_secs)
    }

    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Services {
    /// Checks a password login under the brute-force protection: refused with
    /// `M_LIMIT_EXCEEDED` (before any hashing) while backed off, a failure counted otherwise.
    /// A right password on a locked or deactivated account is not a failure: it is refused for
    /// what it is.
    pub fn password_login(&self, user_id: &UserId, password: &str, ip: Option<&str>) -> Result<UserRecord> {
        let origin = ip.map_or(Origin::UnknownAddress, Origin::Address);
        let attempt = self.login_protection.begin(user_id, origin)?;
        match self.accounts.verify_password(user_id, password)? {
            Some(user) => {
                attempt.succeeded();
                accounts::ensure_may_log_in(user)
            }
            None => {
                attempt.failed();
                Err(accounts::invalid_credentials())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CoreError;

    fn protection(free_account: u32, free_ip: u32) -> LoginProtection {
        LoginProtection::new(&LoginProtectionConfig {
            enabled: true,
            free_failures_per_account: free_account,
            free_failures_per_ip: free_ip,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 5_000,
            failure_window_secs: 3_600,
        })
    }

    fn user(name: &str) -> ruma::OwnedUserId {
        ruma::OwnedUserId::try_from(format!("@{name}:example.org")).unwrap()
    }

    /// Fails one attempt at `now`, which must be allowed.
    fn fail(p: &LoginProtection, account: &UserId, origin: Origin<'_>, now: Instant) {
        p.begin_at(account, origin, now).expect("attempt allowed").finish(Outcome::Failed, now);
    }

    fn retry_after(p: &LoginProtection, account: &UserId, origin: Origin<'_>, now: Instant) -> Option<u64> {
        match p.begin_at(account, origin, now) {
            Ok(_) => None,
            Err(CoreError::LimitExceeded { retry_after_ms }) => Some(retry_after_ms),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn back_off_starts_after_the_free_failures_and_doubles_up_to_the_cap() {
        let p = protection(3, 100);
        let alice = user("alice");
        let from = Origin::Address("192.0.2.1");
        let mut now = Instant::now();
        for _ in 0..3 {
            fail(&p, &alice, from, now);
        }
        let mut waits = Vec::new();
        for _ in 0..5 {
            let wait = retry_after(&p, &alice, from, now).expect("backed off");
            waits.push(wait);
            now += Duration::from_millis(wait);
            fail(&p, &alice, from, now);
        }
        assert_eq!(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
        // Another address, and another account from the same address, are not slowed down.
        assert_eq!(retry_after(&p, &alice, Origin::Address("198.51.100.7"), now), None);
        assert_eq!(retry_after(&p, &user("bob"), from, now), None);
    }

    #[test]
    fn success_clears_the_account_counter_for_that_source_only() {
        let p = protection(2, 3);
        let alice = user("alice");
        let (home, attacker) = (Origin::Address("192.0.2.1"), Origin::Address("203.0.113.9"));
        let now = Instant::now();
        fail(&p, &alice, attacker, now);
        fail(&p, &alice, attacker, now);
        fail(&p, &alice, home, now);
        p.begin_at(&alice, home, now).unwrap().finish(Outcome::Succeeded, now);
        assert!(retry_after(&p, &alice, attacker, now).is_some(), "the attacker is still backed off");
        // The home address's own counter is not cleared by the success: two more failures on
        // other accounts reach its limit of three.
        fail(&p, &user("bob"), home, now);
        fail(&p, &user("carol"), home, now);
        assert!(retry_after(&p, &user("dave"), home, now).is_some());
    }

    #[test]
    fn failures_are_forgotten_after_the_window() {
        let p = protection(1, 100);
        let alice = user("alice");
        let now = Instant::now();
        fail(&p, &alice, Origin::UnknownAddress, now);
        assert!(retry_after(&p, &alice, Origin::UnknownAddress, now).is_some());
        let later = now + Duration::from_secs(3_601);
        assert_eq!(retry_after(&p, &alice, Origin::UnknownAddress, later), None);
    }

    #[test]
    fn attempts_in_flight_hold_their_place() {
        let p = protection(2, 100);
        let alice = user("alice");
        let from = Origin::Address("192.0.2.1");
        let now = Instant::now();
        fail(&p, &alice, from, now);
        let pending = p.begin_at(&alice, from, now).expect("second attempt allowed");
        assert!(retry_after(&p, &alice, from, now).is_some(), "a third concurrent attempt waits");
        drop(pending);
        assert_eq!(retry_after(&p, &alice, from, now), None);
    }

    #[test]
    fn ipv6_addresses_count_by_network() {
        assert_eq!(network_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(network_key("2001:db8:1:2:bbbb::7"), "2001:db8:1:2::/64");
        assert_eq!(network_key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(network_key("192.0.2.1"), "192.0.2.1");
        let p = protection(100, 1);
        let now = Instant::now();
        fail(&p, &user("a"), Origin::Address("2001:db8:1:2::1"), now);
        assert!(retry_after(&p, &user("b"), Origin::Address("2001:db8:1:2::99"), now).is_some());
        assert_eq!(retry_after(&p, &user("b"), Origin::Address("2001:db8:1:3::1"), now), None);
    }

    #[test]
    fn disabled_never_refuses() {
        let p = LoginProtection::new(&LoginProtectionConfig { enabled: false, ..protection(1, 1).config });
        let now = Instant::now();
        for _ in 0..10 {
            fail(&p, &user("alice"), Origin::UnknownAddress, now);
        }
        assert_eq!(retry_after(&p, &user("alice"), Origin::UnknownAddress, now), None);
    }
}
