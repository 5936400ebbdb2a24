//! `GET /_synapse/admin/v1/users/{userId}/joined_rooms`: the rooms an account is joined to.

use rempart_http::{ApiResult, AppState, Ruma};
use rempart_storage::Membership;

use super::uint;
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
            unstable => "/_synapse/admin/v1/users/{user_id}/joined_rooms",
        }
    }

    /// List one user's joined rooms.
    #[request]
    pub struct Request {
        /// The user; like Synapse, users of other servers are answered from the memberships
        /// this server knows.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
    }

    /// The rooms.
    #[response]
    pub struct Response {
        /// Their ids.
        pub joined_rooms: Vec<OwnedRoomId>,
        /// How many.
        pub total: UInt,
    }
}

pub(crate) async fn joined_rooms(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let joined_rooms: Vec<_> = state
        .store
        .user_memberships(&request.user_id)?
        .into_iter()
        .filter(|m| m.membership == Membership::Join)
        .map(|m| m.room_id)
        .collect();
    state.record_admin_action(admin.user_id.as_str(), "user.read_joined_rooms", &request.user_id);
    Ok(api::Response { total: uint(joined_rooms.len() as u64), joined_rooms })
}
