//! Room administration: the room list, one room's details and members, and deleting a room
//! (shutdown, purge, block) with the status endpoints of Synapse's asynchronous delete API.

mod delete;
mod delete_status;
mod delete_v1;
mod details;
mod list;
mod members;
mod room_delete_status;

use axum::Router;
use rempart_core::room_admin::{AdminRoom, Deletion, DeletionStatus, ShutdownReport};
use rempart_http::{AppState, RouterExt};
use ruma::{OwnedRoomAliasId, OwnedRoomId, OwnedUserId, UInt};
use serde::{Deserialize, Serialize};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(list::list_rooms)
        .ruma_route(details::room_details)
        .ruma_route(members::room_members)
        .ruma_route(delete::delete_room)
        .ruma_route(delete_v1::delete_room)
        .ruma_route(delete_status::delete_status)
        .ruma_route(room_delete_status::room_delete_status)
}

fn to_uint(n: u64) -> UInt {
    UInt::try_from(n).unwrap_or(UInt::MAX)
}

/// A room in the list, with Synapse's field names. Absent values are `null`, as in Synapse.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomInfo {
    /// The room.
    pub room_id: OwnedRoomId,
    /// Its name.
    pub name: Option<String>,
    /// Its canonical alias.
    pub canonical_alias: Option<String>,
    /// Members currently joined.
    pub joined_members: UInt,
    /// Members of this server currently joined.
    pub joined_local_members: UInt,
    /// Room version.
    pub version: String,
    /// Who created it.
    pub creator: OwnedUserId,
    /// Encryption algorithm, `null` when unencrypted.
    pub encryption: Option<String>,
    /// Whether users of other servers may join.
    pub federatable: bool,
    /// Listed in the room directory.
    pub public: bool,
    /// Join rule.
    pub join_rules: Option<String>,
    /// Guest access.
    pub guest_access: Option<String>,
    /// History visibility.
    pub history_visibility: Option<String>,
    /// Entries in the current state.
    pub state_events: UInt,
    /// The create event's room type (`m.space`, ...).
    pub room_type: Option<String>,
}

impl From<&AdminRoom> for RoomInfo {
    fn from(room: &AdminRoom) -> Self {
        Self {
            room_id: room.room_id.clone(),
            name: room.name.clone(),
            canonical_alias: room.canonical_alias.clone(),
            joined_members: to_uint(room.joined_members),
            joined_local_members: to_uint(room.joined_local_members),
            version: room.version.clone(),
            creator: room.creator.clone(),
            encryption: room.encryption.clone(),
            federatable: room.federatable,
            public: room.public,
            join_rules: room.join_rules.clone(),
            guest_access: room.guest_access.clone(),
            history_visibility: room.history_visibility.clone(),
            state_events: to_uint(room.state_events),
            room_type: room.room_type.clone(),
        }
    }
}

/// What a shutdown did, as Synapse reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShutdownRoom {
    /// Local members who left.
    pub kicked_users: Vec<OwnedUserId>,
    /// Local members who could not be removed.
    pub failed_to_kick_users: Vec<OwnedUserId>,
    /// Local aliases removed.
    pub local_aliases: Vec<OwnedRoomAliasId>,
    /// Always `null`: members are not moved to a new room.
    pub new_room_id: Option<OwnedRoomId>,
}

impl From<&ShutdownReport> for ShutdownRoom {
    fn from(report: &ShutdownReport) -> Self {
        Self {
            kicked_users: report.kicked_users.clone(),
            failed_to_kick_users: report.failed_to_kick_users.clone(),
            local_aliases: report.local_aliases.clone(),
            new_room_id: None,
        }
    }
}

/// One deletion's status, as Synapse reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteTask {
    /// The deletion.
    pub delete_id: String,
    /// The room.
    pub room_id: OwnedRoomId,
    /// `complete` or `failed` (the work is done before the delete request is answered).
    pub status: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What happened to members and aliases.
    pub shutdown_room: ShutdownRoom,
}

impl From<&Deletion> for DeleteTask {
    fn from(deletion: &Deletion) -> Self {
        let (status, error) = match &deletion.status {
            DeletionStatus::Complete => ("complete", None),
            DeletionStatus::Failed(error) => ("failed", Some(error.clone())),
        };
        Self {
            delete_id: deletion.delete_id.clone(),
            room_id: deletion.room_id.clone(),
            status: status.to_owned(),
            error,
            shutdown_room: ShutdownRoom::from(&deletion.report),
        }
    }
}

/// The body of both versions of the delete endpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeleteBody {
    /// Moving the members to a new room is not supported; must be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_room_user_id: Option<OwnedUserId>,
    /// Name of the new room; only meaningful with `new_room_user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_name: Option<String>,
    /// Given as the reason of the members' leave events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Refuse joins, invites and knocks to the room id forever (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<bool>,
    /// Delete everything stored about the room (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge: Option<bool>,
    /// Purge even when some members could not be removed (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_purge: Option<bool>,
}

impl DeleteBody {
    fn params(&self) -> rempart_http::ApiResult<rempart_core::room_admin::DeleteRoomParams> {
        if self.new_room_user_id.is_some() {
            return Err(rempart_http::ApiError::InvalidParam(
                "new_room_user_id is not supported: members leave the room and are not moved to a new one".into(),
            ));
        }
        let defaults = rempart_core::room_admin::DeleteRoomParams::default();
        Ok(rempart_core::room_admin::DeleteRoomParams {
            block: self.block.unwrap_or(defaults.block),
            purge: self.purge.unwrap_or(defaults.purge),
            force_purge: self.force_purge.unwrap_or(defaults.force_purge),
            message: self.message.clone(),
        })
    }
}
