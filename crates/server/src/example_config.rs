//! The commented example configuration printed by `rempart generate-config`.

/// Every key with its default and what it does.
pub const EXAMPLE_CONFIG: &str = r#"# Rempart shard configuration.
# Every key can also be set by an environment variable: REMPART_<KEY>, with "__" between
# nested keys, e.g. REMPART_SERVER_NAME=ministry.example, REMPART_REGISTRATION__MODE=open.

# The Matrix server name of this shard: the part after ":" in user ids. Cannot change later.
server_name = "localhost"

# Database, signing key and media live here unless overridden below.
data_dir = "./data"

# The URL clients reach this shard at (behind a reverse proxy, its https:// address),
# advertised in /.well-known/matrix/client. Defaults to http://<listen address>.
# public_base_url = "https://matrix.ministry.example"

[listen]
# Client, federation and admin APIs are served on this address.
address = "127.0.0.1:8008"
# Reverse proxies whose X-Forwarded-For header is believed (rate limits, device last-seen IPs).
# Without this, a shard behind a proxy sees every client as the proxy.
trusted_proxies = []

[database]
# SQLite database file. Defaults to "<data_dir>/rempart.db".
# path = "./data/rempart.db"

[registration]
# Who may create accounts through the client API:
#   "disabled" - only operators (rempart create-user, shared-secret registration)
#   "token"    - anyone presenting one of `tokens` (m.login.registration_token)
#   "open"     - anyone (m.login.dummy); only for tests and closed networks
mode = "disabled"
# Secret for Synapse-compatible shared-secret registration at /_synapse/admin/v1/register.
# shared_secret = "a long random string"
# Registration tokens accepted in "token" mode.
tokens = []

[rate_limits]
# General per-user and per-IP limits on writes (messages, joins, invites, room creation,
# registration). Turn off only for tests and benchmarks.
enabled = true
# Sustained writes per second per account, and the burst allowed above it. Anonymous writes
# (registration) get this budget per client address.
per_second = 5.0
burst = 20
# Signed-in writes per client address (IPv6: per /64), all accounts behind it together; raise it
# for networks where many people share one outgoing address.
address_per_second = 100.0
address_burst = 400

[password_hashing]
# Argon2id cost: OWASP's 7 MiB / 5 passes setting, as strong as 19 MiB / 2 passes. One hash
# per two cores runs at a time, so memory_kib is what a burst of logins costs per hashing slot.
# Lower only in test configurations.
memory_kib = 7168
iterations = 5

[rooms]
# Version of new rooms when clients do not ask for one: "10", "11" or "12".
default_version = "12"
# Publishing a room in the directory needs power to send m.room.canonical_alias (true),
# or is refused to everyone but server admins (false).
publish_requires_state_power = true

[presence]
# Whether online/offline status is stored and shared.
enabled = true

[encryption]
# Rooms created with the private_chat or trusted_private_chat preset are end-to-end encrypted
# (m.room.encryption in their initial state) even when the client does not ask.
encrypt_private_rooms = true
# Whether rooms whose join rule is "public" (open forums, readable by the whole platform) may
# turn encryption on.
allow_in_public_rooms = false

[limits]
# Largest request body accepted, in bytes (JSON requests; media uploads have their own limit).
max_request_bytes = 1048576

[media]
# Where files are stored; <data_dir>/media when unset.
# path = "/var/lib/rempart/media"
# Largest file accepted, in bytes (50 MiB).
max_upload_bytes = 52428800
# Bytes each account may store in all (2 GiB).
user_quota_bytes = 2147483648
# Uploads per second per account, and the burst above it (off with [rate_limits] enabled = false).
uploads_per_second = 1.0
upload_burst = 10
# Media ids an account may hold reserved for asynchronous uploads, and for how long (seconds).
max_pending_uploads = 10
pending_upload_lifetime_secs = 86400

[login_protection]
# Brute-force and credential-stuffing protection: after the free failures, each failed login
# doubles the wait before the next attempt (429 M_LIMIT_EXCEEDED with retry_after_ms), counted
# per (account, client address) and per client address (IPv6: per /64). An attack on an account
# therefore never locks its owner out from another address. Behind a shared NAT address, raise
# free_failures_per_ip: everyone behind it shares that count. Independent of [rate_limits].
enabled = true
free_failures_per_account = 5
free_failures_per_ip = 20
initial_backoff_ms = 1000
max_backoff_ms = 900000
# Failures older than this are forgotten (seconds).
failure_window_secs = 3600

[password_policy]
# Enforced on registration, password change and operator resets (400 M_WEAK_PASSWORD), and
# published at /_matrix/client/v3/password_policy.
min_length = 12
require_digit = false
require_symbol = false
require_lowercase = false
require_uppercase = false

[sessions]
# Days each session's full history of IP addresses and user agents is kept.
history_days = 180

[notices]
# Account that sends server notices (m.server_notice rooms).
sender_localpart = "server"
# Post a notice to the user when their account logs in from a new device.
new_login = true

[directory]
# User directory: shortest search term, and most results (limited: true beyond).
min_search_chars = 3
max_results = 20
# Profiles of other users only for those who share a room or are in a public room.
profile_requires_shared_room = true
# Directory searches and profile lookups allowed per account and hour (429 beyond; 0: no limit).
reads_per_hour = 600
"#;

#[cfg(test)]
mod tests {
    use rempart_types::config::Config;

    #[test]
    fn example_parses_to_the_defaults() {
        let parsed = Config::from_toml(super::EXAMPLE_CONFIG).unwrap();
        let defaults = Config::default();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), serde_json::to_value(&defaults).unwrap());
    }
}
