//! What both upload endpoints share: the file's declared type and name, and streaming the body
//! into the media service within its limits.

use axum::{body::Body, http::HeaderMap, http::header};
use http_body_util::BodyExt;
use rempart_core::{accounts::Identity, media::Media, media::Upload, media::UploadMeta};
use rempart_http::{ApiError, ApiResult, AppState};

use super::query_param;

/// The `Content-Type` header and the `filename` query parameter, validated before the body is
/// read.
pub(super) fn upload_meta(headers: &HeaderMap, query: Option<&str>) -> ApiResult<UploadMeta> {
    let file_name = query_param(query, "filename");
    if let Some(name) = &file_name {
        Media::check_file_name(name)?;
    }
    let declared_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).map(str::to_owned);
    Ok(UploadMeta { declared_type, file_name })
}

/// Streams the body into a new upload. A declared `Content-Length` over the limit is refused
/// before anything is read; an undeclared one as soon as the limit is passed.
pub(super) async fn read_body(
    state: &AppState,
    identity: &Identity,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Upload> {
    let declared_len = match headers.get(header::CONTENT_LENGTH) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| ApiError::InvalidParam("invalid Content-Length".into()))?,
        ),
        None => None,
    };
    let mut upload = state.media.start_upload(identity, declared_len)?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::BadJson("the upload was interrupted".into()))?;
        if let Some(chunk) = frame.data_ref() {
            upload.write(chunk)?;
        }
    }
    Ok(upload)
}
