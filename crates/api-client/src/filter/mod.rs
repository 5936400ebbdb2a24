//! Filters: storing a filter definition for later use by sync and fetching it back.

mod create_filter;
mod get_filter;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(create_filter::create_filter).ruma_route(get_filter::get_filter)
}
