//! `GET /_synapse/admin/v2/rooms/delete_status/{deleteId}`: the outcome of one deletion, kept
//! for a day (and lost on restart, as in Synapse).

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};

use super::DeleteTask;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::DeleteTask;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/rooms/delete_status/{delete_id}",
        }
    }

    /// One deletion's status.
    #[request]
    pub struct Request {
        /// The id the delete request returned.
        #[ruma_api(path)]
        pub delete_id: String,
    }

    /// The status.
    #[response]
    pub struct Response {
        /// The deletion.
        #[ruma_api(body)]
        pub task: DeleteTask,
    }
}

pub(crate) async fn delete_status(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    require_admin(request.identity()?)?;
    let deletion = state
        .room_deletions
        .by_id(&request.delete_id)
        .ok_or_else(|| CoreError::NotFound(format!("no deletion with id {}", request.delete_id)))?;
    Ok(api::Response { task: DeleteTask::from(&deletion) })
}
