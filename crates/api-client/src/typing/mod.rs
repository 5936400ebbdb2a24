//! Typing notifications: `PUT /rooms/{roomId}/typing/{userId}`.

mod create_typing_event;

use axum::Router;
use rempart_http::{AppState, RouterExt};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_route(create_typing_event::create_typing_event)
}
