//! `GET /_synapse/admin/v2/rooms/{roomId}/delete_status`: the outcomes of the recent deletions
//! of a room.

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};

use super::DeleteTask;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedRoomId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::DeleteTask;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/rooms/{room_id}/delete_status",
        }
    }

    /// A room's deletions.
    #[request]
    pub struct Request {
        /// The room.
        #[ruma_api(path)]
        pub room_id: OwnedRoomId,
    }

    /// Their statuses, oldest first.
    #[response]
    pub struct Response {
        /// The deletions.
        pub results: Vec<DeleteTask>,
    }
}

pub(crate) async fn room_delete_status(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    require_admin(request.identity()?)?;
    let deletions = state.room_deletions.for_room(&request.room_id);
    if deletions.is_empty() {
        return Err(CoreError::NotFound(format!("no deletion of {} is known", request.room_id)).into());
    }
    Ok(api::Response { results: deletions.iter().map(DeleteTask::from).collect() })
}
