//! HTTP-level integration tests against the in-process router: one binary for the crate, one
//! module per area.

mod accounts;
mod admin_rooms;
mod admin_users;
mod cli;
mod concurrent_updates;
mod crash;
mod e2ee_keys;
mod encryption_policy;
mod errors;
mod fuzz;
mod key_backup;
mod lazy_members;
mod login_protection;
mod media;
mod notices;
mod password_policy;
mod privacy;
mod pushers;
mod rooms;
mod search;
mod sessions;
mod state_leaks;
mod support;
mod sync_counts;
mod to_device;
mod user_data;
