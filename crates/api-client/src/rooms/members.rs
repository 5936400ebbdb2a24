//! `GET /_matrix/client/v3/rooms/{roomId}/members`

use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use rempart_storage::Membership;
use ruma::{
    api::client::membership::get_member_events::v3::{Request, Response},
    events::room::member::MembershipState,
};

use super::{events_for_client, stream_position};

fn membership(state: Option<&MembershipState>) -> ApiResult<Option<Membership>> {
    state
        .map(|m| {
            Membership::parse(m.as_str())
                .ok_or_else(|| ApiError::InvalidParam(format!("unknown membership: {}", m.as_str())))
        })
        .transpose()
}

pub(crate) async fn members(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let at = request.at.as_deref().map(stream_position).transpose()?;
    let events = state.rooms.members_for_user(
        &identity.user_id,
        &request.room_id,
        at,
        membership(request.membership.as_ref())?,
        membership(request.not_membership.as_ref())?,
    )?;
    Ok(Response::new(events_for_client(&state, identity, &events)?))
}
