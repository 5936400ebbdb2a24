//! `POST /_matrix/client/v3/account/password`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::account::change_password;

use crate::util::require_password;

pub(crate) async fn change_password(
    state: AppState,
    request: Ruma<change_password::v3::Request>,
) -> ApiResult<change_password::v3::Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    require_password(&state, identity, "change_password", request.auth.as_ref())?;
    if request.new_password.is_empty() {
        return Err(CoreError::WeakPassword("the password must not be empty".into()).into());
    }
    state.accounts.change_password(identity, &request.new_password, !request.logout_devices)?;
    Ok(change_password::v3::Response::new())
}
