//! HTTP-level integration tests against the in-process router: one binary for the crate, one
//! module per area.

mod accounts;
mod errors;
mod support;
