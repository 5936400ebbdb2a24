#![recursion_limit = "256"]
//! End-to-end tests against the real binary.
