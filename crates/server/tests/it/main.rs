//! HTTP-level integration tests against the in-process router.
