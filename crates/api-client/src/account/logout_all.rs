//! `POST /_matrix/client/v3/logout/all`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::session::logout_all;

pub(crate) async fn logout_all(
    state: AppState,
    request: Ruma<logout_all::v3::Request>,
) -> ApiResult<logout_all::v3::Response> {
    state.accounts.logout_all(&request.identity()?.user_id)?;
    Ok(logout_all::v3::Response::new())
}
