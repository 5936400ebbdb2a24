//! Client config: global and per-room account data, and room tags (stored as the room
//! account data `m.tag`). Users only ever read and write their own.

mod create_tag;
mod delete_tag;
mod get_global_account_data;
mod get_room_account_data;
mod get_tags;
mod set_global_account_data;
mod set_room_account_data;

use axum::{Router, http::StatusCode};
use rempart_core::{CoreError, accounts::Identity};
use rempart_http::{ApiError, ApiResult, AppState, RouterExt, Ruma};
use ruma::UserId;
use serde_json::json;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(get_global_account_data::get_global_account_data)
        .ruma_route(get_room_account_data::get_room_account_data)
        .ruma_route_json(get_tags::get_tags)
        .ruma_route(create_tag::create_tag)
        .ruma_route(delete_tag::delete_tag)
        .ruma_route(set_global_account_data::set_global_account_data)
        .ruma_route(set_room_account_data::set_room_account_data)
}

/// The caller's identity, provided the path's user is the caller.
fn own_identity<'a, T>(request: &'a Ruma<T>, user_id: &UserId) -> ApiResult<&'a Identity> {
    let identity = request.identity()?;
    if identity.user_id != user_id {
        return Err(CoreError::Forbidden("you can only access your own account data".into()).into());
    }
    Ok(identity)
}

/// The spec's answer to setting server-managed types (`m.fully_read`, `m.push_rules`):
/// 405 `M_BAD_JSON`.
fn server_managed(kind: &str) -> ApiError {
    ApiError::Specific {
        status: StatusCode::METHOD_NOT_ALLOWED,
        errcode: "M_BAD_JSON",
        message: format!("{kind} is managed by the server and cannot be set through this API"),
    }
}

/// The request body as a JSON object; anything else is `M_BAD_JSON` (an empty body reads as
/// `{}`, as everywhere else).
fn object_body<T>(request: &Ruma<T>) -> ApiResult<serde_json::Value> {
    match &request.json {
        None => Ok(json!({})),
        Some(body) if body.is_object() => Ok(body.clone()),
        Some(_) => Err(ApiError::BadJson("the body must be a JSON object".into())),
    }
}
