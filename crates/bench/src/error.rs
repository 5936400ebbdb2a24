//! The benchmark's error type: what can go wrong talking to a server or reading its process.

use thiserror::Error;

/// Anything that makes a request, a setup step or a whole run fail.
#[derive(Debug, Error)]
pub enum BenchError {
    /// The request did not get an HTTP response (connection refused, reset, timed out).
    #[error("HTTP: {}", with_causes(.0))]
    Http(#[from] reqwest::Error),
    /// The server answered with an error status.
    #[error("{method} {path}: HTTP {status} {errcode}: {message}")]
    Status {
        /// The request's method.
        method: &'static str,
        /// The request's path, without the query.
        path: String,
        /// The response status.
        status: u16,
        /// The Matrix `errcode`, or `-` when the body was not a Matrix error.
        errcode: String,
        /// The Matrix `error`, or the start of the body.
        message: String,
    },
    /// The server answered 2xx with something this tool cannot use.
    #[error("unexpected response: {0}")]
    Unexpected(String),
    /// A downloaded file differs from what was uploaded.
    #[error("downloaded content differs from the upload ({0})")]
    Mismatch(String),
    /// The base URL is unusable or not allowed.
    #[error("base URL: {0}")]
    Target(String),
    /// The server process could not be sampled.
    #[error("server process {pid}: {message}")]
    Process {
        /// The pid given with `--server-pid`.
        pid: u32,
        /// What went wrong.
        message: String,
    },
    /// A scenario's setup (users, rooms, messages), which is not measured, did not complete.
    #[error("setup: {0}")]
    Setup(String),
    /// A scenario's options do not make sense.
    #[error("{0}")]
    Options(String),
}

/// The crate's result type.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// `error: cause: cause...`: reqwest's own message leaves out why a request failed
/// ("connection refused" is in its source chain).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
