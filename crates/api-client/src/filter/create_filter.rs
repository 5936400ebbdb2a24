//! `POST /_matrix/client/v3/user/{userId}/filter`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::filter::create_filter;

pub(crate) async fn create_filter(
    state: AppState,
    request: Ruma<create_filter::v3::Request>,
) -> ApiResult<create_filter::v3::Response> {
    let identity = request.identity()?;
    if request.user_id != identity.user_id {
        return Err(CoreError::Forbidden("you can only create filters for yourself".into()).into());
    }
    let definition =
        serde_json::to_value(&request.filter).map_err(|e| CoreError::Internal(format!("serialising a filter: {e}")))?;
    let filter_id = state.store.create_filter(&identity.user_id, &definition)?;
    Ok(create_filter::v3::Response::new(filter_id))
}
