//! `DELETE /_synapse/admin/v2/rooms/{roomId}`: shuts a room down (every local member leaves,
//! aliases go, the room is unlisted), then by default purges it from the database, and with
//! `block` refuses the room id for good. Synapse answers at once and works in the background;
//! Rempart answers once the work is done, with the id under which its status is kept.

use rempart_http::{ApiResult, AppState, Ruma};

use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedRoomId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::super::DeleteBody;

    metadata! {
        method: DELETE,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/rooms/{room_id}",
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

    /// Where to find the outcome.
    #[response]
    pub struct Response {
        /// For `/_synapse/admin/v2/rooms/delete_status/{delete_id}`.
        pub delete_id: String,
    }
}

pub(crate) async fn delete_room(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let params = request.body.body.params()?;
    let deletion = state.delete_room(admin.user_id.as_str(), &request.room_id, &params).await?;
    Ok(api::Response { delete_id: deletion.delete_id })
}
