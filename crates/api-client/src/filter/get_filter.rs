//! `GET /_matrix/client/v3/user/{userId}/filter/{filterId}`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::filter::get_filter;

pub(crate) async fn get_filter(
    state: AppState,
    request: Ruma<get_filter::v3::Request>,
) -> ApiResult<get_filter::v3::Response> {
    let identity = request.identity()?;
    if request.user_id != identity.user_id {
        return Err(CoreError::Forbidden("you can only read your own filters".into()).into());
    }
    let stored = state
        .store
        .get_filter(&identity.user_id, &request.filter_id)?
        .ok_or_else(|| CoreError::NotFound("filter not found".into()))?;
    let filter = serde_json::from_value(stored)
        .map_err(|e| CoreError::Internal(format!("stored filter does not parse: {e}")))?;
    Ok(get_filter::v3::Response::new(filter))
}
