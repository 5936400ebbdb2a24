//! Server-side key backup (`/room_keys`): backup versions, and keys at three levels (all rooms,
//! one room, one session).
//!
//! The key uploads are plain axum routes: their `403 M_WRONG_ROOM_KEYS_VERSION` carries a
//! `current_version` field, which [`ApiError`] has no room for.

mod create_version;
mod delete_keys;
mod delete_room_keys;
mod delete_session_key;
mod delete_version;
mod get_keys;
mod get_room_keys;
mod get_session_key;
mod get_version;
mod latest_version;
mod put_keys;
mod put_room_keys;
mod put_session_key;
mod update_version;

use axum::{
    Json, Router,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{MethodRouter, put},
};
use rempart_core::backup::KeysUploaded;
use rempart_http::{ApiResult, AppState, RouterExt, ruma_response};
use ruma::{
    UInt,
    api::{Metadata, OutgoingResponse, path_builder::PathBuilder},
};
use serde_json::json;

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = router
        .ruma_route(create_version::create_version)
        .ruma_route(latest_version::latest_version)
        .ruma_route(get_version::get_version)
        .ruma_route(update_version::update_version)
        .ruma_route(delete_version::delete_version)
        .ruma_route(get_keys::get_keys)
        .ruma_route(get_room_keys::get_room_keys)
        .ruma_route(get_session_key::get_session_key)
        .ruma_route(delete_keys::delete_keys)
        .ruma_route(delete_room_keys::delete_room_keys)
        .ruma_route(delete_session_key::delete_session_key);
    let router = plain_route::<put_keys::Request>(router, put(put_keys::route));
    let router = plain_route::<put_room_keys::Request>(router, put(put_room_keys::route));
    plain_route::<put_session_key::Request>(router, put(put_session_key::route))
}

/// Registers `handler` at every path of the endpoint `T`.
fn plain_route<T: Metadata>(router: Router<AppState>, handler: MethodRouter<AppState>) -> Router<AppState> {
    T::PATH_BUILDER.all_paths().fold(router, |router, path| router.route(path, handler.clone()))
}

/// The response to a key upload: `{ etag, count }` as `make` builds it, or the wrong-version
/// error with the current version.
fn upload_response<R: OutgoingResponse>(outcome: ApiResult<KeysUploaded>, make: fn(String, UInt) -> R) -> Response {
    match outcome {
        Ok(KeysUploaded::Stored(counts)) => ruma_response(make(counts.etag, counts.count)),
        Ok(KeysUploaded::WrongVersion { current_version }) => {
            let body = json!({
                "errcode": "M_WRONG_ROOM_KEYS_VERSION",
                "error": "keys can only be uploaded to the current backup version",
                "current_version": current_version,
            });
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        }
        Err(error) => error.into_response(),
    }
}
