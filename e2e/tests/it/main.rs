#![recursion_limit = "256"]
//! End-to-end tests: the real `rempart` binary driven by the real `matrix-sdk` client.
//!
//! Each test starts its own server (see [`harness`]) on a free port with a fresh data directory,
//! so tests run in parallel and share nothing. Rooms are unencrypted, except in the `encryption*`
//! scenarios and the encrypted-attachment one in `media`, which run with the server's default
//! policy (private rooms are end-to-end encrypted).
//!
//! Run with `cargo test` in `e2e/` after `cargo build -p rempart-server` in the main workspace;
//! set `E2E_REMPART_BIN` to test another build of the binary.

mod client;
mod e2ee;
mod fixtures;
mod harness;
mod sync;

mod account;
mod encryption;
mod encryption_backup;
mod encryption_cross_signing;
mod ephemeral;
mod media;
mod membership;
mod messaging;
mod moderation;
mod rooms;
