//! Settings of the account-security features: brute-force protection, the password policy,
//! session history, new-login notices, and the privacy of the user directory and profiles.

use serde::{Deserialize, Serialize};

/// Brute-force and credential-stuffing protection of logins. Independent of `[rate_limits]`:
/// turning the general limits off (tests, benchmarks) leaves this on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginProtectionConfig {
    /// Whether failed logins slow further attempts down.
    pub enabled: bool,
    /// Failed logins allowed for one account before back-off starts.
    pub free_failures_per_account: u32,
    /// Failed logins allowed from one IP address (any accounts) before back-off starts.
    pub free_failures_per_ip: u32,
    /// The first back-off, in milliseconds; it doubles with every further failure.
    pub initial_backoff_ms: u64,
    /// The longest back-off, in milliseconds.
    pub max_backoff_ms: u64,
    /// Failures older than this many seconds are forgotten.
    pub failure_window_secs: u64,
}

impl Default for LoginProtectionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            free_failures_per_account: 5,
            free_failures_per_ip: 20,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 15 * 60 * 1_000,
            failure_window_secs: 60 * 60,
        }
    }
}

/// What a password must contain, enforced on registration, password change and operator
/// resets, and published at `/_matrix/client/v3/password_policy`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicyConfig {
    /// Minimum length, in characters.
    pub min_length: u32,
    /// At least one digit.
    pub require_digit: bool,
    /// At least one character that is not a letter or a digit.
    pub require_symbol: bool,
    /// At least one lower-case letter.
    pub require_lowercase: bool,
    /// At least one upper-case letter.
    pub require_uppercase: bool,
}

impl Default for PasswordPolicyConfig {
    fn default() -> Self {
        // Length matters more than composition (NIST SP 800-63B); operators who must follow a
        // composition rule turn the classes on.
        Self {
            min_length: 12,
            require_digit: false,
            require_symbol: false,
            require_lowercase: false,
            require_uppercase: false,
        }
    }
}

/// What is kept of sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// Days each session's history of IP addresses and user agents is kept.
    pub history_days: u32,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self { history_days: 180 }
    }
}

/// Server notices (the spec's `m.server_notice` rooms).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticesConfig {
    /// Local part of the account that sends notices.
    pub sender_localpart: String,
    /// Tell users when their account logs in from a new device (device, IP and time), so that
    /// a hijack is visible to the real owner.
    pub new_login: bool,
}

impl Default for NoticesConfig {
    fn default() -> Self {
        Self { sender_localpart: "server".into(), new_login: true }
    }
}

/// Privacy of the user directory and profiles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    /// Shortest user-directory search term accepted.
    pub min_search_chars: u32,
    /// Most users a directory search returns (`limited: true` beyond).
    pub max_results: u32,
    /// Profile lookups of other users need a shared room or the target's presence in a public
    /// room.
    pub profile_requires_shared_room: bool,
    /// Directory searches and profile lookups each account may make per hour.
    pub reads_per_hour: u32,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        Self { min_search_chars: 3, max_results: 20, profile_requires_shared_room: true, reads_per_hour: 600 }
    }
}
