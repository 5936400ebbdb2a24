//! The spec's account moderation endpoints (MSC4323, Matrix 1.18):
//! `GET`/`PUT /_matrix/client/v1/admin/lock/{userId}` and `.../admin/suspend/{userId}`, also
//! under their unstable `uk.timedout.msc4323` paths. Admins only; the admin check comes before
//! any lookup, so that non-admins cannot probe which accounts exist.

mod get_lock;
mod get_suspend;
mod set_lock;
mod set_suspend;

use axum::Router;
use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, RouterExt};
use rempart_storage::{AccountStatus, UserRecord};
use ruma::UserId;

use super::ensure_local;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(get_lock::get_lock)
        .ruma_route(set_lock::set_lock)
        .ruma_route(get_suspend::get_suspend)
        .ruma_route(set_suspend::set_suspend)
}

/// The target account: 400 `M_INVALID_PARAM` for another server's user, 404 `M_NOT_FOUND`
/// for an unknown or deactivated one (the spec treats deactivated accounts as gone).
fn moderated_user(state: &AppState, user_id: &UserId) -> ApiResult<UserRecord> {
    ensure_local(state, user_id)?;
    state
        .accounts
        .get_user(user_id)?
        .filter(|user| user.status != AccountStatus::Deactivated)
        .ok_or_else(|| CoreError::NotFound(format!("no such user {user_id}")).into())
}
