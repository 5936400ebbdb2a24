//! `POST /_matrix/client/v3/logout`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::session::logout;

pub(crate) async fn logout(state: AppState, request: Ruma<logout::v3::Request>) -> ApiResult<logout::v3::Response> {
    state.accounts.logout(request.identity()?)?;
    Ok(logout::v3::Response::new())
}
