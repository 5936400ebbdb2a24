//! `GET /_matrix/client/v3/password_policy` (MSC2000): the password policy, so clients can check
//! a new password before submitting it. Served without a token, like the registration flows:
//! clients show the rules on the registration screen.

use rempart_http::{ApiResult, AppState, Ruma};

/// The endpoint's types (MSC2000 is not in ruma).
pub mod api {
    use ruma::{
        api::{auth_scheme::NoAccessToken, request, response},
        metadata,
    };

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: NoAccessToken,
        // MSC2000 has no spec version: the versions below only let the router register the
        // `r0` and `v3` paths that Synapse serves, and clients (Tchap among them) call.
        history: {
            unstable => "/_matrix/client/unstable/org.matrix.msc2000/password_policy",
            unstable => "/_matrix/client/unstable/password_policy",
            1.0 => "/_matrix/client/r0/password_policy",
            1.1 => "/_matrix/client/v3/password_policy",
        }
    }

    /// Get the password policy.
    #[request]
    #[derive(Default)]
    pub struct Request {}

    /// The policy, in MSC2000's keys.
    #[response]
    pub struct Response {
        /// Minimum length, in characters.
        #[serde(rename = "m.minimum_length")]
        pub minimum_length: u32,
        /// At least one digit.
        #[serde(rename = "m.require_digit")]
        pub require_digit: bool,
        /// At least one character that is neither a letter nor a digit.
        #[serde(rename = "m.require_symbol")]
        pub require_symbol: bool,
        /// At least one lower-case letter.
        #[serde(rename = "m.require_lowercase")]
        pub require_lowercase: bool,
        /// At least one upper-case letter.
        #[serde(rename = "m.require_uppercase")]
        pub require_uppercase: bool,
    }
}

pub(crate) async fn password_policy(state: AppState, _request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let policy = &state.config.password_policy;
    Ok(api::Response {
        // The core refuses empty passwords whatever the setting.
        minimum_length: policy.min_length.max(1),
        require_digit: policy.require_digit,
        require_symbol: policy.require_symbol,
        require_lowercase: policy.require_lowercase,
        require_uppercase: policy.require_uppercase,
    })
}
