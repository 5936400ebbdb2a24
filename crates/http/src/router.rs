//! Registering typed handlers on the axum router under every path an endpoint has had
//! (`r0`, `v3`, unstable prefixes), plus the Matrix fallbacks for unknown paths and methods.

use std::future::Future;

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::{MethodFilter, on},
};
use bytes::BytesMut;
use ruma::api::{IncomingRequest, OutgoingResponseExt, path_builder::PathBuilder};
use tower_http::cors::{Any, CorsLayer};

use crate::{ApiError, ApiResult, AppState, Ruma, extract::SchemeRequirement};

fn method_filter(method: &http::Method) -> MethodFilter {
    match *method {
        http::Method::GET => MethodFilter::GET,
        http::Method::POST => MethodFilter::POST,
        http::Method::PUT => MethodFilter::PUT,
        http::Method::DELETE => MethodFilter::DELETE,
        http::Method::PATCH => MethodFilter::PATCH,
        http::Method::HEAD => MethodFilter::HEAD,
        _ => MethodFilter::OPTIONS,
    }
}

/// Serialises a ruma response, for handlers registered as plain axum routes.
pub fn ruma_response<R: OutgoingResponseExt>(response: R) -> Response {
    match response.try_into_http_response::<BytesMut>() {
        Ok(response) => response.map(|body| axum::body::Body::from(body.freeze())).into_response(),
        Err(error) => {
            ApiError::Core(rempart_core::CoreError::Internal(format!("serialising response: {error}"))).into_response()
        }
    }
}

/// Adds typed Matrix handlers to a router.
pub trait RouterExt {
    /// Registers `handler` for request type `T` at every path and with the method ruma's
    /// metadata gives.
    fn ruma_route<T, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: SchemeRequirement,
        T::OutgoingResponse: Send,
        F: Fn(AppState, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T::OutgoingResponse>> + Send + 'static;

    /// Like [`ruma_route`](Self::ruma_route), for handlers that build their JSON response
    /// themselves (sync, where the response shape is assembled section by section).
    fn ruma_route_json<T, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: SchemeRequirement,
        F: Fn(AppState, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<serde_json::Value>> + Send + 'static;
}

impl RouterExt for Router<AppState> {
    fn ruma_route<T, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: SchemeRequirement,
        T::OutgoingResponse: Send,
        F: Fn(AppState, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T::OutgoingResponse>> + Send + 'static,
    {
        register(self, handler, ruma_response::<T::OutgoingResponse>)
    }

    fn ruma_route_json<T, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: SchemeRequirement,
        F: Fn(AppState, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<serde_json::Value>> + Send + 'static,
    {
        register(self, handler, |body| axum::Json(body).into_response())
    }
}

/// Registers `handler` at every path of `T`, turning its success value into a response with
/// `respond` and its errors into Matrix errors.
fn register<T, F, Fut, R>(router: Router<AppState>, handler: F, respond: fn(R) -> Response) -> Router<AppState>
where
    T: IncomingRequest + Send + 'static,
    T::Authentication: SchemeRequirement,
    F: Fn(AppState, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ApiResult<R>> + Send + 'static,
    R: Send + 'static,
{
    let service = move |State(state): State<AppState>, request: Ruma<T>| {
        let handler = handler.clone();
        async move {
            match handler(state, request).await {
                Ok(response) => respond(response),
                Err(error) => error.into_response(),
            }
        }
    };
    let filter = method_filter(&T::METHOD);
    T::PATH_BUILDER.all_paths().fold(router, |router, path| router.route(path, on(filter, service.clone())))
}

async fn unrecognized() -> ApiError {
    ApiError::Unrecognized
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Adds the Matrix fallbacks (404/405 `M_UNRECOGNIZED`), CORS for web clients, panic
/// containment and request tracing, and binds the state.
pub fn finish_router(router: Router<AppState>, state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            http::Method::GET,
            http::Method::POST,
            http::Method::PUT,
            http::Method::DELETE,
            http::Method::OPTIONS,
        ])
        .allow_headers([
            http::header::AUTHORIZATION,
            http::header::CONTENT_TYPE,
            http::header::ACCEPT,
            http::HeaderName::from_static("x-requested-with"),
        ]);
    router
        .fallback(unrecognized)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(cors)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
