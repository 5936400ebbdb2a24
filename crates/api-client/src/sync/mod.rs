//! Sync: `GET /sync` (v3). The response is assembled in `rempart-core`.

mod sync_events;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route_json(sync_events::sync_events)
}
