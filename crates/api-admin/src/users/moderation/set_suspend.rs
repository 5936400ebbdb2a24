//! `PUT /_matrix/client/v1/admin/suspend/{userId}`: suspends an account (reads allowed,
//! writes refused with `M_USER_SUSPENDED`) or lifts the suspension. Setting the state it
//! already has succeeds.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::admin::suspend_user::v1;

use super::moderated_user;
use crate::require_admin;

pub(crate) async fn set_suspend(state: AppState, request: Ruma<v1::Request>) -> ApiResult<v1::Response> {
    let admin = require_admin(request.identity()?)?;
    moderated_user(&state, &request.user_id)?;
    state.set_suspended(admin.user_id.as_str(), &request.user_id, request.suspended)?;
    Ok(v1::Response::new(request.suspended))
}
