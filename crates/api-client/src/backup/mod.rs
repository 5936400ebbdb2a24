//! Server-side key backup (`/room_keys`): backup versions, and keys at three levels (all rooms,
//! one room, one session).

mod create_version;
mod delete_keys;
mod delete_room_keys;
mod delete_session_key;
mod delete_version;
mod get_keys;
mod get_room_keys;
mod get_session_key;
mod get_version;
mod latest_version;
mod put_keys;
mod put_room_keys;
mod put_session_key;
mod update_version;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(create_version::create_version)
        .ruma_route(latest_version::latest_version)
        .ruma_route(get_version::get_version)
        .ruma_route(update_version::update_version)
        .ruma_route(delete_version::delete_version)
        .ruma_route(get_keys::get_keys)
        .ruma_route(get_room_keys::get_room_keys)
        .ruma_route(get_session_key::get_session_key)
        .ruma_route(delete_keys::delete_keys)
        .ruma_route(delete_room_keys::delete_room_keys)
        .ruma_route(delete_session_key::delete_session_key)
        .ruma_route(put_keys::put_keys)
        .ruma_route(put_room_keys::put_room_keys)
        .ruma_route(put_session_key::put_session_key)
}
