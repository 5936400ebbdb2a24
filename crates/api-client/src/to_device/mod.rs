//! Send-to-device messaging. Delivery is part of sync.

mod send_to_device;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(send_to_device::send_to_device)
}
