//! `POST /_matrix/client/v3/account/deactivate`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::account::{ThirdPartyIdRemovalStatus, deactivate};

use crate::util::require_password;

pub(crate) async fn deactivate(
    state: AppState,
    request: Ruma<deactivate::v3::Request>,
) -> ApiResult<deactivate::v3::Response> {
    let identity = request.identity()?.clone();
    require_password(&state, &identity, "deactivate", request.auth.as_ref())?;
    let erase = request.erase;
    state.deactivate_account(identity.user_id.as_str(), &identity.user_id, erase).await?;
    Ok(deactivate::v3::Response::new(ThirdPartyIdRemovalStatus::NoSupport))
}
