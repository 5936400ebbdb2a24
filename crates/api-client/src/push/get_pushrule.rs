//! `GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::push::get_pushrule::v3::{Request, Response};

pub(crate) async fn get_pushrule(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let rule = state.push_rule(&identity.user_id, request.kind.clone(), &request.rule_id)?;
    Ok(Response::new(rule.into()))
}
