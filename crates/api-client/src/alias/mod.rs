//! Room aliases: creating, resolving and deleting local aliases, and listing a room's aliases.

mod create;
mod delete;
mod get;
mod room_aliases;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(create::create_alias)
        .ruma_route(get::get_alias)
        .ruma_route(delete::delete_alias)
        .ruma_route(room_aliases::room_aliases)
}
