//! `GET /_matrix/client/v3/pushrules/global/`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::push::get_pushrules_global_scope::v3::{Request, Response};

pub(crate) async fn get_pushrules_global_scope(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    Ok(Response::new(state.push_rules(&identity.user_id)?))
}
