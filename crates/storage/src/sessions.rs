//! Session history: every (IP address, user agent) pair each session (user and device) was used
//! from, with when it was first and last seen. Backends record it in the same transaction as the
//! device's last-seen update ([`AccountStore::touch_device`](crate::AccountStore::touch_device))
//! and at login ([`AccountStore::create_session`](crate::AccountStore::create_session)).
//!
//! History outlives the devices it describes: logging out, deleting a device or deactivating the
//! account keeps it, because it is what an investigation needs afterwards. Only age removes it
//! ([`SessionHistoryStore::prune_session_history`]).

use ruma::{OwnedDeviceId, UserId};

use crate::Result;

/// How far apart two uses of a session from the same address and user agent must be for the
/// second to move `last_seen`: every request is accounted for, but at this granularity, so that
/// a busy client does not turn each request into a database write.
pub const LAST_SEEN_GRANULARITY_MS: u64 = 60_000;

/// One (IP address, user agent) pair a session was used from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUse {
    /// The device (session); it may have been deleted since.
    pub device_id: OwnedDeviceId,
    /// Client IP address, when it was known.
    pub ip: Option<String>,
    /// Client user agent, when it sent one.
    pub user_agent: Option<String>,
    /// First use from this pair, ms since the epoch.
    pub first_seen: u64,
    /// Last use from this pair, ms since the epoch, to [`LAST_SEEN_GRANULARITY_MS`].
    pub last_seen: u64,
}

/// Reading and pruning session history.
pub trait SessionHistoryStore {
    /// Every recorded use of every session of the user, deleted devices included, ordered by
    /// device id, then most recent first.
    fn session_history(&self, user_id: &UserId) -> Result<Vec<SessionUse>>;
    /// Forgets uses last seen before `before` (ms since the epoch); returns how many were
    /// removed.
    fn prune_session_history(&self, before: u64) -> Result<u64>;
}
