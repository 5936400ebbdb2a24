//! `PUT /_matrix/media/v3/upload/{serverName}/{mediaId}`: sends the content of a media id
//! reserved with `/_matrix/media/v1/create`.

use axum::{
    Json,
    body::Body,
    extract::{Path, RawQuery, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use rempart_http::{ApiResult, AppState, Authenticated};
use serde_json::json;

use super::{
    server_name,
    upload_body::{read_body, upload_meta},
};

pub(crate) async fn upload_async(
    State(state): State<AppState>,
    caller: Authenticated,
    Path((server, media_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result: ApiResult<Response> = async {
        let meta = upload_meta(&headers, query.as_deref())?;
        // Refused before the body is read: someone else's id, one already filled, or a lapsed one.
        state.media.check_reservation(&caller.identity, server_name(&server)?, &media_id)?;
        let upload = read_body(&state, &caller.identity, &headers, body).await?;
        state.media.finish_reserved(&caller.identity, &media_id, upload, meta).await?;
        Ok(Json(json!({})).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
