//! `POST /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}` and
//! `.../unquarantine/...`: a quarantined file is served to no one, its uploader included.

use rempart_http::{ApiResult, AppState, Ruma};

use super::ensure_local;
use crate::require_admin;

/// The quarantine endpoint's types.
pub mod set {
    use ruma::{
        OwnedServerName,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: POST,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/media/quarantine/{server_name}/{media_id}",
        }
    }

    /// Quarantine one file.
    #[request]
    pub struct Request {
        /// The file's server.
        #[ruma_api(path)]
        pub server_name: OwnedServerName,
        /// The file.
        #[ruma_api(path)]
        pub media_id: String,
    }

    /// Empty.
    #[response]
    #[derive(Default)]
    pub struct Response {}
}

/// The unquarantine endpoint's types.
pub mod lift {
    use ruma::{
        OwnedServerName,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: POST,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/media/unquarantine/{server_name}/{media_id}",
        }
    }

    /// Lift the quarantine of one file.
    #[request]
    pub struct Request {
        /// The file's server.
        #[ruma_api(path)]
        pub server_name: OwnedServerName,
        /// The file.
        #[ruma_api(path)]
        pub media_id: String,
    }

    /// Empty.
    #[response]
    #[derive(Default)]
    pub struct Response {}
}

pub(crate) async fn quarantine(state: AppState, request: Ruma<set::Request>) -> ApiResult<set::Response> {
    let admin = require_admin(request.identity()?)?;
    ensure_local(&state, &request.server_name)?;
    state.media.set_quarantined(admin.user_id.as_str(), &request.media_id, true)?;
    Ok(set::Response {})
}

pub(crate) async fn unquarantine(state: AppState, request: Ruma<lift::Request>) -> ApiResult<lift::Response> {
    let admin = require_admin(request.identity()?)?;
    ensure_local(&state, &request.server_name)?;
    state.media.set_quarantined(admin.user_id.as_str(), &request.media_id, false)?;
    Ok(lift::Response {})
}
