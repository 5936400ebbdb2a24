//! `PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::push::set_pushrule::v3::{Request, Response};

pub(crate) async fn set_pushrule(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let user_id = request.identity()?.user_id.clone();
    let Request { rule, before, after, .. } = request.body;
    state.set_push_rule(&user_id, rule, before.as_deref(), after.as_deref())?;
    Ok(Response::new())
}
