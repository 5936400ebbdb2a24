//! Presence: reading and setting a user's online status.

mod get_presence;
mod set_presence;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(get_presence::get_presence).ruma_route(set_presence::set_presence)
}
