//! Turning an endpoint the spec leaves open to anonymous callers into one that needs an access
//! token: this is a closed platform, and every directory read is made by an account.

use axum::http;
use ruma::api::{IncomingRequest, Metadata, auth_scheme::AccessToken, error::DeserializationError};

/// The request `T`, authenticated with an access token whatever its spec auth scheme.
pub(crate) struct RequireToken<T>(pub(crate) T);

impl<T: Metadata> Metadata for RequireToken<T> {
    const METHOD: http::Method = T::METHOD;
    const RATE_LIMITED: bool = T::RATE_LIMITED;
    type Authentication = AccessToken;
    type PathBuilder = T::PathBuilder;
    const PATH_BUILDER: Self::PathBuilder = T::PATH_BUILDER;
}

impl<T: IncomingRequest> IncomingRequest for RequireToken<T> {
    type EndpointError = T::EndpointError;
    type OutgoingResponse = T::OutgoingResponse;

    fn try_from_http_request_inner(
        request: http::Request<&[u8]>,
        path_args: &[&str],
    ) -> Result<Self, DeserializationError> {
        T::try_from_http_request_inner(request, path_args).map(Self)
    }
}
