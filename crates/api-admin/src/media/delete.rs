//! `DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}`: deletes a file, its links, and
//! its bytes unless an identical upload still uses them.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::UInt;

use super::ensure_local;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedServerName, UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: DELETE,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/media/{server_name}/{media_id}",
        }
    }

    /// Delete one file.
    #[request]
    pub struct Request {
        /// The file's server.
        #[ruma_api(path)]
        pub server_name: OwnedServerName,
        /// The file.
        #[ruma_api(path)]
        pub media_id: String,
    }

    /// What was deleted.
    #[response]
    pub struct Response {
        /// The deleted media ids.
        pub deleted_media: Vec<String>,
        /// How many.
        pub total: UInt,
    }
}

pub(crate) async fn delete(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    ensure_local(&state, &request.server_name)?;
    state.media.delete(admin.user_id.as_str(), &request.media_id).await?;
    Ok(api::Response { deleted_media: vec![request.media_id.clone()], total: UInt::from(1u32) })
}
