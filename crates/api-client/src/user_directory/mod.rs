//! The user directory: `POST /user_directory/search`. Who can be found, the shortest term, the
//! result cap and the read budget are decided in `rempart_core::user_directory`.

mod search_users;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(search_users::search_users)
}
