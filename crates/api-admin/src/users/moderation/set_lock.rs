//! `PUT /_matrix/client/v1/admin/lock/{userId}`: locks an account (every request and login
//! refused with `M_USER_LOCKED`, open syncs ended) or unlocks it. Setting the state it already
//! has succeeds.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::admin::lock_user::v1;

use super::moderated_user;
use crate::require_admin;

pub(crate) async fn set_lock(state: AppState, request: Ruma<v1::Request>) -> ApiResult<v1::Response> {
    let admin = require_admin(request.identity()?)?;
    moderated_user(&state, &request.user_id)?;
    state.set_locked(admin.user_id.as_str(), &request.user_id, request.locked)?;
    Ok(v1::Response::new(request.locked))
}
