//! `POST /_matrix/media/v3/upload`: uploads a file and returns its `mxc://` URI.

use axum::{
    Json,
    body::Body,
    extract::{RawQuery, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use rempart_http::{ApiResult, AppState, Authenticated};
use serde_json::json;

use super::upload_body::{read_body, upload_meta};

pub(crate) async fn upload(
    State(state): State<AppState>,
    caller: Authenticated,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result: ApiResult<Response> = async {
        let meta = upload_meta(&headers, query.as_deref())?;
        let upload = read_body(&state, &caller.identity, &headers, body).await?;
        let uri = state.media.finish_upload(&caller.identity, upload, meta).await?;
        Ok(Json(json!({ "content_uri": uri })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
