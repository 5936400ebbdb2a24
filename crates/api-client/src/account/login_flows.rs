//! `GET /_matrix/client/v3/login`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::session::get_login_types::{
    self,
    v3::{LoginType, PasswordLoginType},
};

pub(crate) async fn login_flows(
    _state: AppState,
    _request: Ruma<get_login_types::v3::Request>,
) -> ApiResult<get_login_types::v3::Response> {
    Ok(get_login_types::v3::Response::new(vec![LoginType::Password(PasswordLoginType::default())]))
}
