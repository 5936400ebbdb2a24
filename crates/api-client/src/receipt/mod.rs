//! Read receipts and read markers.

mod create_receipt;
mod set_read_marker;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(create_receipt::create_receipt).ruma_route(set_read_marker::set_read_marker)
}
