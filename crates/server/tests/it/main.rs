//! HTTP-level integration tests against the in-process router: one binary for the crate, one
//! module per area.

mod accounts;
mod cli;
mod crash;
mod errors;
mod fuzz;
mod lazy_members;
mod rooms;
mod search;
mod support;
mod user_data;
