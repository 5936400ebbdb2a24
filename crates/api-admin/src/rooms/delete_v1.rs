//! `DELETE /_synapse/admin/v1/rooms/{roomId}`: the synchronous first version of the delete
//! endpoint, for tools that still use it; same body, the outcome in the response.

use rempart_core::room_admin::DeletionStatus;
use rempart_http::{ApiResult, AppState, Ruma};

use super::ShutdownRoom;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedRoomId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::super::{DeleteBody, ShutdownRoom};

    metadata! {
        method: DELETE,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/rooms/{room_id}",
        }
    }

    /// Delete a room.
    #[request]
    pub struct Request {
        /// The room.
        #[ruma_api(path)]
        pub room_id: OwnedRoomId,
        /// What to do.
        #[ruma_api(body)]
        pub body: DeleteBody,
    }

    /// What was done.
    #[response]
    pub struct Response {
        /// Members removed and aliases deleted.
        #[ruma_api(body)]
        pub shutdown_room: ShutdownRoom,
    }
}

pub(crate) async fn delete_room(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let params = request.body.body.params()?;
    let deletion = state.delete_room(admin.user_id.as_str(), &request.room_id, &params).await?;
    if let DeletionStatus::Failed(error) = deletion.status {
        return Err(rempart_core::CoreError::BadState(error).into());
    }
    Ok(api::Response { shutdown_room: ShutdownRoom::from(&deletion.report) })
}
