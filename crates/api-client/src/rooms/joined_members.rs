//! `GET /_matrix/client/v3/rooms/{roomId}/joined_members`

use std::collections::BTreeMap;

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    OwnedMxcUri, OwnedUserId,
    api::client::membership::joined_members::v3::{Request, Response, RoomMember},
};
use serde_json::Value;

pub(crate) async fn joined_members(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let events = state.rooms.joined_members(&identity.user_id, &request.room_id)?;
    let joined: BTreeMap<OwnedUserId, RoomMember> = events
        .iter()
        .filter_map(|event| {
            let user_id = OwnedUserId::try_from(event.pdu.state_key.as_deref()?).ok()?;
            let content = event.pdu.content_value();
            let text = |field: &str| content.get(field).and_then(Value::as_str).map(ToOwned::to_owned);
            let mut member = RoomMember::new();
            member.display_name = text("displayname");
            member.avatar_url = text("avatar_url").map(OwnedMxcUri::from);
            Some((user_id, member))
        })
        .collect();
    Ok(Response::new(joined))
}
