//! `GET /_matrix/client/v3/publicRooms` and `POST /_matrix/client/v3/publicRooms` (the same
//! listing, with a filter in the body). Both need an access token on this closed platform.

use rempart_core::{
    CoreError,
    directory::{PublicRoom, PublicRoomsPage, PublicRoomsQuery},
};
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    OwnedMxcUri, ServerName, UInt,
    api::client::directory::{get_public_rooms, get_public_rooms_filtered},
    directory::{Filter, PublicRoomsChunk, PublicRoomsChunkInit, RoomNetwork},
    room::{JoinRuleKind, RoomType},
};

use super::require_token::RequireToken;

pub(crate) async fn get_public_rooms(
    state: AppState,
    request: Ruma<RequireToken<get_public_rooms::v3::Request>>,
) -> ApiResult<get_public_rooms::v3::Response> {
    request.identity()?;
    let body = &request.body.0;
    let page =
        list(&state, body.server.as_deref(), body.limit, body.since.clone(), &Filter::default(), &RoomNetwork::Matrix)?;
    let mut response = get_public_rooms::v3::Response::new(page.chunk.into_iter().map(chunk).collect());
    response.total_room_count_estimate = Some(UInt::new_saturating(page.total as u64));
    response.next_batch = page.next_batch;
    response.prev_batch = page.prev_batch;
    Ok(response)
}

pub(crate) async fn post_public_rooms(
    state: AppState,
    request: Ruma<get_public_rooms_filtered::v3::Request>,
) -> ApiResult<get_public_rooms_filtered::v3::Response> {
    request.identity()?;
    let body = &request.body;
    let page = list(&state, body.server.as_deref(), body.limit, body.since.clone(), &body.filter, &body.room_network)?;
    let mut response = get_public_rooms_filtered::v3::Response::new();
    response.total_room_count_estimate = Some(UInt::new_saturating(page.total as u64));
    response.next_batch = page.next_batch;
    response.prev_batch = page.prev_batch;
    response.chunk = page.chunk.into_iter().map(chunk).collect();
    Ok(response)
}

fn list(
    state: &AppState,
    server: Option<&ServerName>,
    limit: Option<UInt>,
    since: Option<String>,
    filter: &Filter,
    network: &RoomNetwork,
) -> ApiResult<PublicRoomsPage> {
    if server.is_some_and(|server| server != state.config.server_name) {
        return Err(CoreError::InvalidParam("the directories of other servers are not available yet".into()).into());
    }
    if let RoomNetwork::ThirdParty(_) = network {
        return Ok(PublicRoomsPage { chunk: vec![], next_batch: None, prev_batch: None, total: 0 });
    }
    let query = PublicRoomsQuery {
        limit: limit.map(|l| usize::try_from(u64::from(l)).unwrap_or(usize::MAX)),
        since,
        search_term: filter.generic_search_term.clone(),
        room_types: (!filter.room_types.is_empty())
            .then(|| filter.room_types.iter().map(|t| t.as_str().map(ToOwned::to_owned)).collect()),
    };
    Ok(state.public_rooms(&query)?)
}

fn chunk(room: PublicRoom) -> PublicRoomsChunk {
    let mut chunk = PublicRoomsChunk::from(PublicRoomsChunkInit {
        num_joined_members: UInt::new_saturating(room.num_joined_members),
        room_id: room.room_id,
        world_readable: room.world_readable,
        guest_can_join: room.guest_can_join,
    });
    chunk.name = room.name;
    chunk.topic = room.topic;
    chunk.canonical_alias = room.canonical_alias;
    chunk.avatar_url = room.avatar_url.map(OwnedMxcUri::from);
    chunk.join_rule = JoinRuleKind::from(room.join_rule.as_str());
    chunk.room_type = room.room_type.as_deref().map(RoomType::from);
    chunk
}
