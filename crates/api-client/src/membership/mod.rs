//! Membership: joining (by room id or alias), inviting, leaving, forgetting, kicking, banning,
//! unbanning and knocking. The room's authorization rules decide; handlers only translate.

mod ban;
mod forget;
mod invite;
mod join;
mod join_by_id_or_alias;
mod kick;
mod knock;
mod leave;
mod unban;

use axum::Router;
use rempart_http::{ApiResult, AppState, RouterExt};
use ruma::{OwnedRoomAliasId, OwnedRoomId, RoomOrAliasId};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(join::join)
        .ruma_route(join_by_id_or_alias::join_by_id_or_alias)
        .ruma_route(invite::invite)
        .ruma_route(leave::leave)
        .ruma_route(forget::forget)
        .ruma_route(kick::kick)
        .ruma_route(ban::ban)
        .ruma_route(unban::unban)
        .ruma_route(knock::knock)
}

/// A room id as given, or the room a local alias points to. Remote aliases are not found
/// until federation exists.
fn resolve_room(state: &AppState, target: &RoomOrAliasId) -> ApiResult<OwnedRoomId> {
    match OwnedRoomId::try_from(target.to_owned()) {
        Ok(room_id) => Ok(room_id),
        Err(alias) => {
            let alias: OwnedRoomAliasId = alias;
            Ok(state.resolve_local_alias(&alias)?)
        }
    }
}
