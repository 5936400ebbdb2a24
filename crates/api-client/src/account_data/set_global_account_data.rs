//! `PUT /_matrix/client/v3/user/{userId}/account_data/{type}`

use rempart_core::account_data::is_server_managed;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::config::set_global_account_data;

use super::{object_body, own_identity, server_managed};

pub(super) async fn set_global_account_data(
    state: AppState,
    request: Ruma<set_global_account_data::v3::Request>,
) -> ApiResult<set_global_account_data::v3::Response> {
    let kind = request.event_type.to_string();
    let identity = own_identity(&request, &request.user_id)?;
    if is_server_managed(&kind) {
        return Err(server_managed(&kind));
    }
    state.set_account_data(&identity.user_id, None, &kind, object_body(&request)?)?;
    Ok(set_global_account_data::v3::Response::new())
}
