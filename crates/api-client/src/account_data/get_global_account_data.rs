//! `GET /_matrix/client/v3/user/{userId}/account_data/{type}`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{api::client::config::get_global_account_data, serde::Raw};

use super::own_identity;

pub(crate) async fn get_global_account_data(
    state: AppState,
    request: Ruma<get_global_account_data::v3::Request>,
) -> ApiResult<get_global_account_data::v3::Response> {
    let identity = own_identity(&request, &request.user_id)?;
    let content = state.account_data(&identity.user_id, None, &request.event_type.to_string())?;
    let raw = serde_json::value::to_raw_value(&content).map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(get_global_account_data::v3::Response::new(Raw::from_json(raw)))
}
