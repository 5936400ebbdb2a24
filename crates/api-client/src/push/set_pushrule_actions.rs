//! `PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::push::set_pushrule_actions::v3::{Request, Response};

pub(crate) async fn set_pushrule_actions(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let user_id = request.identity()?.user_id.clone();
    let Request { kind, rule_id, actions, .. } = request.body;
    state.set_push_rule_actions(&user_id, kind, &rule_id, actions)?;
    Ok(Response::new())
}
