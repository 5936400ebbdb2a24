//! `POST /_matrix/client/v3/account/password`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::account::change_password;

use crate::util::require_password;

pub(crate) async fn change_password(
    state: AppState,
    request: Ruma<change_password::v3::Request>,
) -> ApiResult<change_password::v3::Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    // Before authentication, as Synapse does, so that a weak password does not cost the user a
    // password prompt; the core checks again when the password is set.
    rempart_core::password_policy::check(&state.config.password_policy, &request.new_password)?;
    require_password(&state, identity, "change_password", request.auth.as_ref())?;
    state.accounts.change_password(identity, &request.new_password, !request.logout_devices)?;
    Ok(change_password::v3::Response::new())
}
