//! The `Ruma<T>` extractor: reads the body within the size limit, authenticates the caller as
//! the endpoint's auth scheme requires, and parses the typed ruma request. Errors become
//! Matrix errors (`M_NOT_JSON`, `M_BAD_JSON`, `M_INVALID_PARAM`, `M_MISSING_TOKEN`, ...).

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, RawPathParams, Request},
    http::request::Parts,
};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use rempart_core::{accounts::Identity, login_protection::network_key};
use ruma::api::{
    IncomingRequest, IncomingRequestExt,
    auth_scheme::{
        AccessToken, AccessTokenOptional, AppserviceToken, AppserviceTokenOptional, NoAccessToken, NoAuthentication,
    },
    error::{DeserializationError, FromHttpRequestError},
};

use crate::{ApiError, AppState};

/// How an endpoint authenticates its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRequirement {
    /// No token is read.
    None,
    /// A token is read if present.
    Optional,
    /// A valid token is required.
    Required,
}

/// Maps ruma's authentication scheme types to what Rempart enforces.
pub trait SchemeRequirement {
    /// The requirement.
    const REQUIREMENT: AuthRequirement;
}

impl SchemeRequirement for NoAuthentication {
    const REQUIREMENT: AuthRequirement = AuthRequirement::None;
}
impl SchemeRequirement for NoAccessToken {
    const REQUIREMENT: AuthRequirement = AuthRequirement::None;
}
impl SchemeRequirement for AccessToken {
    const REQUIREMENT: AuthRequirement = AuthRequirement::Required;
}
impl SchemeRequirement for AccessTokenOptional {
    const REQUIREMENT: AuthRequirement = AuthRequirement::Optional;
}
impl SchemeRequirement for AppserviceToken {
    const REQUIREMENT: AuthRequirement = AuthRequirement::Required;
}
impl SchemeRequirement for AppserviceTokenOptional {
    const REQUIREMENT: AuthRequirement = AuthRequirement::Optional;
}

/// The client's IP address as seen by the listener.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

/// Why a token offered to an endpoint that does not require one was not accepted; reported
/// only if the handler asks for the identity.
#[derive(Debug, Clone, Copy)]
enum DeferredAuthError {
    UnknownToken,
    Locked,
}

/// A parsed ruma request with the caller's identity.
pub struct Ruma<T> {
    /// The typed request.
    pub body: T,
    /// Who is calling: always set for endpoints that require a token, and for other endpoints
    /// when the client sent a valid one.
    pub identity: Option<Identity>,
    deferred_auth_error: Option<DeferredAuthError>,
    /// The raw JSON body, for handlers that need fields ruma does not model.
    pub json: Option<serde_json::Value>,
    /// Client IP.
    pub ip: Option<String>,
    /// The raw query string, for parameters ruma does not model (MSC3911's `attach_media`).
    pub query: Option<String>,
}

impl<T> Ruma<T> {
    /// The authenticated identity. Endpoints that require a token always have one; handlers of
    /// endpoints the spec leaves public call this to require one anyway (the platform is closed).
    pub fn identity(&self) -> Result<&Identity, ApiError> {
        match (&self.identity, self.deferred_auth_error) {
            (Some(identity), _) => Ok(identity),
            (None, Some(DeferredAuthError::UnknownToken)) => Err(rempart_core::CoreError::UnknownToken.into()),
            (None, Some(DeferredAuthError::Locked)) => Err(rempart_core::CoreError::UserLocked.into()),
            (None, None) => Err(ApiError::MissingToken),
        }
    }
}

impl<T> std::ops::Deref for Ruma<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.body
    }
}

fn access_token(parts: &Parts) -> Option<String> {
    if let Some(header) = parts.headers.get(http::header::AUTHORIZATION).and_then(|h| h.to_str().ok())
        && let Some(token) = header.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_owned());
    }
    parts.uri.query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "access_token")
            .map(|(_, v)| v.to_owned())
    })
}

fn client_ip(parts: &Parts, trusted_proxies: &[IpAddr]) -> Option<String> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|h| h.to_str().ok());
    Some(real_client(peer, forwarded, trusted_proxies).to_string())
}

/// The client behind a chain of trusted proxies: walking `X-Forwarded-For` from the right (the
/// hop nearest to us), the first address that is not a trusted proxy. Only a trusted peer's
/// header is believed; anything else could be forged by the client.
fn real_client<'a>(peer: IpAddr, forwarded: impl Iterator<Item = &'a str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> =
        forwarded.flat_map(|header| header.split(',')).filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.iter().rev().find(|hop| !trusted.contains(hop)).copied().unwrap_or(peer)
}

/// Authenticates the request's token according to `requirement`.
pub(crate) fn authenticate(
    state: &AppState,
    parts: &Parts,
    requirement: AuthRequirement,
) -> Result<Option<Identity>, ApiError> {
    if requirement == AuthRequirement::None {
        return Ok(None);
    }
    let Some(token) = access_token(parts) else {
        return match requirement {
            AuthRequirement::Required => Err(ApiError::MissingToken),
            _ => Ok(None),
        };
    };
    let user_agent = parts.headers.get(http::header::USER_AGENT).and_then(|h| h.to_str().ok());
    Ok(Some(state.accounts.authenticate(
        &token,
        client_ip(parts, &state.config.listen.trusted_proxies).as_deref(),
        user_agent,
    )?))
}

fn map_parse_error(error: FromHttpRequestError) -> ApiError {
    match error {
        FromHttpRequestError::Deserialization(DeserializationError::Json(e)) => {
            ApiError::BadJson(format!("invalid request body: {e}"))
        }
        FromHttpRequestError::Deserialization(DeserializationError::Ident(e)) => {
            ApiError::InvalidParam(format!("invalid identifier: {e}"))
        }
        FromHttpRequestError::Deserialization(DeserializationError::Query(e)) => {
            ApiError::InvalidParam(format!("invalid query parameter: {e}"))
        }
        FromHttpRequestError::Deserialization(e) => ApiError::BadJson(e.to_string()),
        FromHttpRequestError::MethodMismatch { .. } => ApiError::MethodNotAllowed,
        other => ApiError::BadJson(other.to_string()),
    }
}

impl<T> FromRequest<AppState> for Ruma<T>
where
    T: IncomingRequest + Send,
    T::Authentication: SchemeRequirement,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let path_params = match RawPathParams::from_request_parts(&mut parts, state).await {
            Ok(params) => params.iter().map(|(_, value)| value.to_owned()).collect::<Vec<_>>(),
            Err(_) => return Err(ApiError::InvalidParam("invalid path parameter encoding".into())),
        };
        let limit = state.config.limits.max_request_bytes;
        let bytes: Bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => return Err(ApiError::TooLarge),
            Err(_) => return Err(ApiError::BadJson("could not read request body".into())),
        };

        let (identity, deferred_auth_error) = match <T::Authentication as SchemeRequirement>::REQUIREMENT {
            // A token sent to a public endpoint is checked, but a bad one only matters if the
            // handler needs the identity: clients send stale tokens to /versions and /login.
            AuthRequirement::None => match authenticate(state, &parts, AuthRequirement::Optional) {
                Ok(identity) => (identity, None),
                Err(ApiError::Core(rempart_core::CoreError::UserLocked)) => (None, Some(DeferredAuthError::Locked)),
                Err(ApiError::Core(rempart_core::CoreError::UnknownToken)) => {
                    (None, Some(DeferredAuthError::UnknownToken))
                }
                Err(error) => return Err(error),
            },
            requirement => (authenticate(state, &parts, requirement)?, None),
        };
        // The spec marks some endpoints rate-limited; the platform also limits every other
        // write (room creation, invites, state changes), which the spec leaves to servers.
        let is_write = matches!(T::METHOD, http::Method::POST | http::Method::PUT | http::Method::DELETE);
        if T::RATE_LIMITED || is_write {
            // Both the account's bucket and the address's: an account cannot escape its limit
            // by changing address, nor one address drive many accounts past theirs. The
            // account's goes first, so an account over its own limit does not also drain the
            // bucket it shares with others behind the same address.
            // Anonymous writes (registration) get an account's budget per address; signed-in
            // ones share a larger per-address budget, sized for many people behind one NAT.
            let address = client_ip(&parts, &state.config.listen.trusted_proxies);
            let address = address.as_deref().map_or_else(|| "unknown".to_owned(), network_key);
            match &identity {
                Some(identity) => {
                    state.rate_limiter.check(identity.user_id.as_str())?;
                    state.address_rate_limiter.check(&address)?;
                }
                None => state.rate_limiter.check(&address)?,
            }
        }

        let has_json_body = !bytes.is_empty() && matches!(parts.method, http::Method::POST | http::Method::PUT);
        let json = if has_json_body {
            Some(serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|_| ApiError::NotJson)?)
        } else {
            None
        };
        // Like Synapse, an empty body on a JSON endpoint counts as an empty object.
        let body_bytes: &[u8] = if bytes.is_empty() && matches!(parts.method, http::Method::POST | http::Method::PUT) {
            b"{}"
        } else {
            &bytes
        };
        let http_request = http::Request::from_parts(parts.clone(), body_bytes);
        let path_refs: Vec<&str> = path_params.iter().map(String::as_str).collect();
        // ruma's deserialisers can panic on some malformed bodies (a login body without
        // `type`, for one); a panic while parsing client input is a bad request, not a 500.
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            T::try_from_http_request(http_request, &path_refs)
        }))
        .map_err(|_| ApiError::BadJson("malformed request body".into()))?;
        let body = parsed.map_err(map_parse_error)?;
        Ok(Self {
            body,
            identity,
            deferred_auth_error,
            json,
            ip: client_ip(&parts, &state.config.listen.trusted_proxies),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

/// The authenticated caller of a handler that streams its own body or builds its own response
/// (media uploads and downloads), checked exactly as [`Ruma`] checks endpoints that require a
/// token.
pub struct Authenticated {
    /// Who is calling.
    pub identity: Identity,
    /// Client IP.
    pub ip: Option<String>,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let identity = authenticate(state, parts, AuthRequirement::Required)?.ok_or(ApiError::MissingToken)?;
        Ok(Self { identity, ip: client_ip(parts, &state.config.listen.trusted_proxies) })
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::real_client;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy = [ip("10.0.0.1")];
        assert_eq!(real_client(ip("10.0.0.1"), ["203.0.113.7"].into_iter(), &proxy), ip("203.0.113.7"));
        assert_eq!(real_client(ip("198.51.100.2"), ["203.0.113.7"].into_iter(), &proxy), ip("198.51.100.2"));
        // A client forging a header in front of the proxy is seen as itself.
        assert_eq!(real_client(ip("10.0.0.1"), ["1.2.3.4, 203.0.113.7"].into_iter(), &proxy), ip("203.0.113.7"));
        assert_eq!(real_client(ip("10.0.0.1"), ["garbage"].into_iter(), &proxy), ip("10.0.0.1"));
        assert_eq!(real_client(ip("10.0.0.1"), std::iter::empty(), &proxy), ip("10.0.0.1"));
    }
}
