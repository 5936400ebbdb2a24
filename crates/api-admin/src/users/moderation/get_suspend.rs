//! `GET /_matrix/client/v1/admin/suspend/{userId}`: whether an account is suspended.

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::admin::is_user_suspended::v1;

use super::moderated_user;
use crate::require_admin;

pub(crate) async fn get_suspend(state: AppState, request: Ruma<v1::Request>) -> ApiResult<v1::Response> {
    let admin = require_admin(request.identity()?)?;
    let user = moderated_user(&state, &request.user_id)?;
    state.record_admin_action(admin.user_id.as_str(), "user.read", &request.user_id);
    Ok(v1::Response::new(user.suspended))
}
