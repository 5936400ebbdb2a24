//! `GET /_matrix/client/v3/account/whoami`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::account::whoami;

pub(crate) async fn whoami(_state: AppState, request: Ruma<whoami::v3::Request>) -> ApiResult<whoami::v3::Response> {
    let identity = request.identity()?;
    let mut response = whoami::v3::Response::new(identity.user_id.clone(), false);
    response.device_id = Some(identity.device_id.clone());
    Ok(response)
}
