//! `PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::push::set_pushrule_enabled::v3::{Request, Response};

pub(crate) async fn set_pushrule_enabled(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    state.set_push_rule_enabled(&identity.user_id, request.kind.clone(), &request.rule_id, request.enabled)?;
    Ok(Response::new())
}
