#![recursion_limit = "256"]
//! End-to-end tests: the real `rempart` binary driven by the real `matrix-sdk` client.
//!
//! Each test starts its own server (see [`harness`]) on a free port with a fresh data directory,
//! so tests run in parallel and share nothing. Rooms here are unencrypted.
//!
//! Run with `cargo test` in `e2e/` after `cargo build -p rempart-server` in the main workspace;
//! set `E2E_REMPART_BIN` to test another build of the binary.

mod client;
mod fixtures;
mod harness;
mod sync;

mod account;
mod ephemeral;
mod membership;
mod messaging;
mod rooms;
