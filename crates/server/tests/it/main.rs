//! HTTP-level integration tests against the in-process router: one binary for the crate, one
//! module per area.

mod accounts;
mod cli;
mod concurrent_updates;
mod crash;
mod e2ee_keys;
mod encryption_policy;
mod errors;
mod fuzz;
mod key_backup;
mod lazy_members;
mod media;
mod pushers;
mod rooms;
mod search;
mod state_leaks;
mod support;
mod to_device;
mod user_data;
