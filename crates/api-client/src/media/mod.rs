//! The content repository: uploads (`/_matrix/media/v3/upload`, asynchronous ones through
//! `/_matrix/media/v1/create`), authenticated downloads and thumbnails under
//! `/_matrix/client/v1/media/`, and the frozen unauthenticated download paths, which serve
//! nothing. Who may read a file is decided by the media service's one access rule.

mod config;
mod create;
mod download;
mod legacy;
mod thumbnail;
mod upload;
mod upload_async;
mod upload_body;

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use rempart_core::media::{MediaBody, MediaFile};
use rempart_http::{ApiError, ApiResult, AppState, RouterExt};
use ruma::api::{Metadata, client::authenticated_media, client::media, path_builder::PathBuilder};

/// Media responses may never run as a page of the server's origin, even if a browser is led to
/// open one: no scripts, no plugins, sandboxed.
const CONTENT_SECURITY_POLICY: &str =
    "sandbox; default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; media-src 'self'";

/// How long a download may wait for an asynchronous upload when the client does not say.
const DEFAULT_WAIT: Duration = Duration::from_secs(20);

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = router.ruma_route(create::create).ruma_route(config::config).ruma_route(config::legacy_config);
    let router = paths::<media::create_content::v3::Request>()
        .fold(router, |router, path| router.route(path, post(upload::upload)));
    let router = paths::<media::create_content_async::v3::Request>()
        .fold(router, |router, path| router.route(path, put(upload_async::upload_async)));
    let router = paths::<authenticated_media::get_content::v1::Request>()
        .chain(paths::<authenticated_media::get_content_as_filename::v1::Request>())
        .fold(router, |router, path| router.route(path, get(download::download)));
    let router = paths::<authenticated_media::get_content_thumbnail::v1::Request>()
        .fold(router, |router, path| router.route(path, get(thumbnail::thumbnail)));
    legacy_paths(router)
}

// The frozen endpoints are registered only to refuse them with a Matrix error.
#[allow(deprecated, reason = "registered only to refuse them")]
fn legacy_paths(router: Router<AppState>) -> Router<AppState> {
    paths::<media::get_content::v3::Request>()
        .chain(paths::<media::get_content_as_filename::v3::Request>())
        .chain(paths::<media::get_content_thumbnail::v3::Request>())
        .fold(router, |router, path| router.route(path, get(legacy::not_served)))
}

fn paths<T: Metadata>() -> std::vec::IntoIter<&'static str> {
    T::PATH_BUILDER.all_paths().collect::<Vec<_>>().into_iter()
}

/// One parameter of a raw query string, decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// How long a download may wait for an asynchronous upload (`timeout_ms`).
fn wait(query: Option<&str>) -> ApiResult<Duration> {
    match query_param(query, "timeout_ms") {
        None => Ok(DEFAULT_WAIT),
        Some(ms) => ms
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| ApiError::InvalidParam("timeout_ms must be a non-negative integer".into())),
    }
}

/// A file as an HTTP response: its type, an `inline` disposition only for types that cannot run
/// in a browser, the sandboxing policy, and no caching by anything but the client.
fn file_response(file: MediaFile, file_name: Option<&str>) -> ApiResult<Response> {
    let name = file_name.or(file.file_name.as_deref());
    let disposition = rempart_media::names::content_disposition(&file.content_type, name);
    let header_value = |value: &str| {
        HeaderValue::from_str(value).map_err(|_| {
            ApiError::Core(rempart_core::CoreError::Internal(format!("unrepresentable header value {value:?}")))
        })
    };
    let (body, len) = match file.body {
        MediaBody::Bytes(bytes) => (Body::from(bytes), None),
        MediaBody::File { file, len } => (Body::from_stream(file_chunks(file, len)), Some(len)),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    headers.insert(header::CONTENT_TYPE, header_value(&file.content_type)?);
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition)?);
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// How much of a file is read at a time while it is sent.
const DOWNLOAD_CHUNK: usize = 64 * 1024;

/// A stored file as a stream of chunks, each read on a blocking thread: a download holds a
/// chunk or two in memory, not the whole file. A file shorter than announced ends the stream
/// with an error, which aborts the response rather than sending less than `Content-Length`.
fn file_chunks(
    file: std::fs::File,
    len: u64,
) -> impl futures_util::Stream<Item = std::io::Result<axum::body::Bytes>> + Send {
    futures_util::stream::try_unfold((file, len), |(mut file, remaining)| async move {
        if remaining == 0 {
            return Ok(None);
        }
        let size = usize::try_from(remaining).map_or(DOWNLOAD_CHUNK, |remaining| remaining.min(DOWNLOAD_CHUNK));
        let (file, chunk) = tokio::task::spawn_blocking(move || {
            let mut chunk = vec![0; size];
            std::io::Read::read_exact(&mut file, &mut chunk).map(|()| (file, chunk))
        })
        .await
        .map_err(std::io::Error::other)??;
        let remaining = remaining - chunk.len() as u64;
        Ok(Some((axum::body::Bytes::from(chunk), (file, remaining))))
    })
}

/// A server name from a path, as the media service takes it.
fn server_name(raw: &str) -> ApiResult<&ruma::ServerName> {
    <&ruma::ServerName>::try_from(raw).map_err(|_| ApiError::InvalidParam(format!("invalid server name {raw:?}")))
}
