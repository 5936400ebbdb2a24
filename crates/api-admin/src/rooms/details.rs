//! `GET /_synapse/admin/v1/rooms/{roomId}`: one room's details.

use rempart_http::{ApiResult, AppState, Ruma};

use super::{RoomInfo, to_uint};
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        OwnedRoomId, UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };
    use serde::{Deserialize, Serialize};

    use super::RoomInfo;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/rooms/{room_id}",
        }
    }

    /// One room's details.
    #[request]
    pub struct Request {
        /// The room.
        #[ruma_api(path)]
        pub room_id: OwnedRoomId,
    }

    /// The list's fields and a few more.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct RoomDetails {
        /// What the room list shows.
        #[serde(flatten)]
        pub info: RoomInfo,
        /// Its topic.
        pub topic: Option<String>,
        /// Its avatar's `mxc://` URI.
        pub avatar: Option<String>,
        /// Devices of the local members currently joined.
        pub joined_local_devices: UInt,
        /// Whether every local member forgot the room (or none is left).
        pub forgotten: bool,
    }

    /// The room.
    #[response]
    pub struct Response {
        /// The details.
        #[ruma_api(body)]
        pub room: RoomDetails,
    }
}

pub(crate) async fn room_details(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let details = state.admin_room(admin.user_id.as_str(), &request.room_id)?;
    Ok(api::Response {
        room: api::RoomDetails {
            info: RoomInfo::from(&details.room),
            topic: details.room.topic.clone(),
            avatar: details.room.avatar.clone(),
            joined_local_devices: to_uint(details.joined_local_devices),
            forgotten: details.forgotten,
        },
    })
}
