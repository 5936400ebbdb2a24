//! `GET /_synapse/admin/v1/rooms/{roomId}/members`: the users currently joined to a room.

use rempart_http::{ApiResult, AppState, Ruma};

use super::to_uint;
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedRoomId, OwnedUserId, UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/rooms/{room_id}/members",
        }
    }

    /// A room's joined members.
    #[request]
    pub struct Request {
        /// The room.
        #[ruma_api(path)]
        pub room_id: OwnedRoomId,
    }

    /// The members.
    #[response]
    pub struct Response {
        /// Their user ids.
        pub members: Vec<OwnedUserId>,
        /// How many.
        pub total: UInt,
    }
}

pub(crate) async fn room_members(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let members = state.admin_room_members(admin.user_id.as_str(), &request.room_id)?;
    Ok(api::Response { total: to_uint(members.len() as u64), members })
}
