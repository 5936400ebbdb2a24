//! `GET /_matrix/client/v3/pushers`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::push::get_pushers::v3::{Request, Response};

pub(crate) async fn get_pushers(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    Ok(Response::new(state.pushers(&identity.user_id)?))
}
