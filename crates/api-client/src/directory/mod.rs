//! The public room directory: listing published rooms and publishing or unpublishing a room.

mod get_visibility;
mod public_rooms;
mod require_token;
mod set_visibility;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(public_rooms::get_public_rooms)
        .ruma_route(public_rooms::post_public_rooms)
        .ruma_route(get_visibility::get_visibility)
        .ruma_route(set_visibility::set_visibility)
}
