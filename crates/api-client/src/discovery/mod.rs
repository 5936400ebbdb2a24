//! Server discovery and capabilities.

mod capabilities;
mod versions;
mod well_known;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(versions::get_versions)
        .ruma_route(capabilities::get_capabilities)
        .ruma_route(well_known::client)
        .route("/.well-known/matrix/server", axum::routing::get(well_known::server))
}
