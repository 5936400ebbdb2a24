//! Client config: global and per-room account data, and room tags (stored as the room
//! account data `m.tag`). Users only ever read and write their own.
//!
//! The two `PUT` endpoints are plain axum handlers around the [`Ruma`] extractor because the
//! spec answers attempts to set server-managed types (`m.fully_read`, `m.push_rules`) with
//! `405 M_BAD_JSON`, a pairing `ApiError` cannot express.

mod create_tag;
mod delete_tag;
mod get_global_account_data;
mod get_room_account_data;
mod get_tags;
mod set_global_account_data;
mod set_room_account_data;

use axum::{
    Json, Router,
    handler::Handler,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::put,
};

use rempart_core::{CoreError, accounts::Identity};
use rempart_http::{ApiError, ApiResult, AppState, RouterExt, Ruma};
use ruma::UserId;
use serde_json::json;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = router
        .ruma_route(get_global_account_data::get_global_account_data)
        .ruma_route(get_room_account_data::get_room_account_data)
        .ruma_route_json(get_tags::get_tags)
        .ruma_route(create_tag::create_tag)
        .ruma_route(delete_tag::delete_tag);
    let router = put_at(router, set_global_account_data::paths(), set_global_account_data::set_global_account_data);
    put_at(router, set_room_account_data::paths(), set_room_account_data::set_room_account_data)
}

/// Registers a `PUT` handler at each of an endpoint's paths.
fn put_at<H, T>(router: Router<AppState>, paths: impl Iterator<Item = &'static str>, handler: H) -> Router<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    paths.fold(router, |router, path| router.route(path, put(handler.clone())))
}

/// The caller's identity, provided the path's user is the caller.
fn own_identity<'a, T>(request: &'a Ruma<T>, user_id: &UserId) -> ApiResult<&'a Identity> {
    let identity = request.identity()?;
    if identity.user_id != user_id {
        return Err(CoreError::Forbidden("you can only access your own account data".into()).into());
    }
    Ok(identity)
}

/// The response of a `PUT`: `{}` or the error.
fn put_response(result: ApiResult<()>) -> Response {
    match result {
        Ok(()) => Json(json!({})).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `405 M_BAD_JSON` for server-managed account data types.
fn server_managed(kind: &str) -> Response {
    let message = format!("{kind} is managed by the server and cannot be set through this API");
    (StatusCode::METHOD_NOT_ALLOWED, Json(json!({ "errcode": "M_BAD_JSON", "error": message }))).into_response()
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
