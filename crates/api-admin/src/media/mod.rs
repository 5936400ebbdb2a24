//! Media administration: quarantine a file or lift it, delete one, list a user's files.

mod delete;
mod quarantine;
mod user_media;

use axum::Router;
use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, RouterExt};
use ruma::ServerName;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(quarantine::quarantine)
        .ruma_route(quarantine::unquarantine)
        .ruma_route(delete::delete)
        .ruma_route(user_media::user_media)
}

/// Files of other servers are never stored here.
fn ensure_local(state: &AppState, server_name: &ServerName) -> ApiResult<()> {
    if server_name == state.config.server_name {
        Ok(())
    } else {
        Err(CoreError::NotFound("no such file on this server".into()).into())
    }
}
