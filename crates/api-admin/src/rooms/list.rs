//! `GET /_synapse/admin/v1/rooms`: the rooms of this shard, with Synapse's `from`, `limit`,
//! `order_by`, `dir`, `search_term`, `public_rooms` and `empty_rooms`.

use rempart_core::room_admin::{RoomListQuery, RoomOrder};
use rempart_http::{ApiError, ApiResult, AppState, Ruma};

use super::{RoomInfo, to_uint};
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::RoomInfo;

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/rooms",
        }
    }

    /// List rooms.
    #[request]
    #[derive(Default)]
    pub struct Request {
        /// Rooms to skip (default 0).
        #[ruma_api(query)]
        pub from: Option<UInt>,
        /// Most rooms to return (default 100).
        #[ruma_api(query)]
        pub limit: Option<UInt>,
        /// Sort order (default `name`).
        #[ruma_api(query)]
        pub order_by: Option<String>,
        /// `f` (default) or `b` to reverse the order.
        #[ruma_api(query)]
        pub dir: Option<String>,
        /// Only rooms whose name, alias local part or id contains this.
        #[ruma_api(query)]
        pub search_term: Option<String>,
        /// Only listed (`true`) or only unlisted (`false`) rooms.
        #[ruma_api(query)]
        pub public_rooms: Option<bool>,
        /// Only empty (`true`) or only non-empty (`false`) rooms.
        #[ruma_api(query)]
        pub empty_rooms: Option<bool>,
    }

    /// A page of rooms.
    #[response]
    pub struct Response {
        /// The rooms.
        pub rooms: Vec<RoomInfo>,
        /// Where this page starts.
        pub offset: UInt,
        /// How many rooms match in all.
        pub total_rooms: UInt,
        /// `from` for the next page, if there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub next_batch: Option<UInt>,
        /// `from` for the previous page, if there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub prev_batch: Option<UInt>,
    }
}

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1_000;

pub(crate) async fn list_rooms(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let order = match request.order_by.as_deref() {
        None => RoomOrder::default(),
        Some(name) => RoomOrder::parse(name)
            .ok_or_else(|| ApiError::InvalidParam(format!("unknown value for order_by: {name}")))?,
    };
    let backwards = match request.dir.as_deref() {
        None | Some("f") => false,
        Some("b") => true,
        Some(other) => return Err(ApiError::InvalidParam(format!("dir must be f or b, not {other}"))),
    };
    let from = request.from.map_or(0, u64::from);
    let limit = request.limit.map_or(DEFAULT_LIMIT, u64::from).min(MAX_LIMIT);
    let query = RoomListQuery {
        from,
        limit,
        order,
        backwards,
        search_term: request.search_term.clone().filter(|term| !term.is_empty()),
        public_rooms: request.public_rooms,
        empty_rooms: request.empty_rooms,
    };
    let page = state.admin_list_rooms(admin.user_id.as_str(), &query)?;
    let end = from.saturating_add(page.rooms.len() as u64);
    Ok(api::Response {
        rooms: page.rooms.iter().map(RoomInfo::from).collect(),
        offset: to_uint(from),
        total_rooms: to_uint(page.total),
        next_batch: (end < page.total).then(|| to_uint(end)),
        prev_batch: (from > 0).then(|| to_uint(from.saturating_sub(limit))),
    })
}
