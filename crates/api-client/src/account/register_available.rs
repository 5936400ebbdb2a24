//! `GET /_matrix/client/v3/register/available`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use rempart_types::config::RegistrationMode;
use ruma::api::client::account::get_username_availability;

pub(crate) async fn register_available(
    state: AppState,
    request: Ruma<get_username_availability::v3::Request>,
) -> ApiResult<get_username_availability::v3::Response> {
    if state.config.registration.mode == RegistrationMode::Disabled {
        return Err(CoreError::Forbidden("registration is disabled on this server".into()).into());
    }
    if state.accounts.is_available(&request.username.to_lowercase())? {
        Ok(get_username_availability::v3::Response::new(true))
    } else {
        Err(CoreError::UserInUse.into())
    }
}
