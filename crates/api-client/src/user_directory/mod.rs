//! The user directory: `POST /user_directory/search`.

mod search_users;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(search_users::search_users)
}
