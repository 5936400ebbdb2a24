//! `GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}`: a scaled or cropped
//! thumbnail of an image, under the same access rule as the file itself.

use axum::{
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Response},
};
use rempart_http::{ApiError, ApiResult, AppState, Authenticated};
use rempart_media::thumbnail::Method;

use super::{file_response, query_param, server_name, wait};

fn dimension(query: Option<&str>, name: &str) -> ApiResult<u32> {
    let value = query_param(query, name).ok_or_else(|| ApiError::MissingParam(format!("missing {name}")))?;
    value.parse().map_err(|_| ApiError::InvalidParam(format!("{name} must be a positive integer")))
}

pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    caller: Authenticated,
    Path((server, media_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let result: ApiResult<Response> = async {
        let query = query.as_deref();
        let (width, height) = (dimension(query, "width")?, dimension(query, "height")?);
        let method = match query_param(query, "method").as_deref() {
            None | Some("scale") => Method::Scale,
            Some("crop") => Method::Crop,
            Some(other) => return Err(ApiError::InvalidParam(format!("unknown thumbnail method {other:?}"))),
        };
        let file = state
            .media
            .thumbnail(&caller.identity, server_name(&server)?, &media_id, (width, height, method), wait(query)?)
            .await?;
        file_response(file, None)
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
