//! `GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}]`: a file, to
//! whoever the access rule allows; `M_NOT_FOUND` for everyone else.

use axum::{
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Response},
};
use rempart_core::media::Media;
use rempart_http::{ApiResult, AppState, Authenticated};

use super::{file_response, server_name, wait};

pub(crate) async fn download(
    State(state): State<AppState>,
    caller: Authenticated,
    Path(params): Path<Vec<String>>,
    RawQuery(query): RawQuery,
) -> Response {
    let result: ApiResult<Response> = async {
        let (server, media_id, file_name) = match params.as_slice() {
            [server, media_id] => (server, media_id, None),
            [server, media_id, file_name] => (server, media_id, Some(file_name.as_str())),
            _ => return Err(rempart_http::ApiError::Unrecognized),
        };
        if let Some(name) = file_name {
            Media::check_file_name(name)?;
        }
        let file =
            state.media.download(&caller.identity, server_name(server)?, media_id, wait(query.as_deref())?).await?;
        file_response(file, file_name)
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
