//! `GET /_synapse/admin/v1/register`: a single-use nonce for shared-secret registration,
//! valid for 60 seconds.

use rempart_http::{ApiResult, AppState, Ruma};

use super::api_error;

/// The endpoint's types.
pub mod api {
    use ruma::{
        api::{auth_scheme::NoAuthentication, request, response},
        metadata,
    };

    metadata! {
        method: GET,
        // Anonymous: limited per address, so nobody can flood the nonce table.
        rate_limited: true,
        authentication: NoAuthentication,
        history: {
            unstable => "/_synapse/admin/v1/register",
        }
    }

    /// Ask for a nonce.
    #[request]
    #[derive(Default)]
    pub struct Request {}

    /// The nonce.
    #[response]
    pub struct Response {
        /// To include in the registration and its MAC.
        pub nonce: String,
    }
}

pub(crate) async fn nonce(state: AppState, _request: Ruma<api::Request>) -> ApiResult<api::Response> {
    Ok(api::Response { nonce: state.shared_secret.issue_nonce().map_err(api_error)? })
}
