//! (to be written)

use axum::Router;
use rempart_http::AppState;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
}
