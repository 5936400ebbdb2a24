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
    // Leave every room first, so the other members see the account go.
    for membership in state.store.user_memberships(&identity.user_id)? {
        if let Err(error) = state.rooms.leave(&membership.room_id, &identity.user_id, None).await {
            tracing::warn!(room_id = %membership.room_id, %error, "could not leave room during deactivation");
        }
    }
    state.accounts.deactivate(&identity.user_id)?;
    tracing::info!(user_id = %identity.user_id, "account deactivated");
    Ok(deactivate::v3::Response::new(ThirdPartyIdRemovalStatus::NoSupport))
}
