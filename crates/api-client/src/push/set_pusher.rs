//! `POST /_matrix/client/v3/pushers/set`
//!
//! The body is read here rather than by ruma's request type, which would answer every missing or
//! malformed field with `M_BAD_JSON`: absent fields get `M_MISSING_PARAM` (listing them all, as
//! the spec's example does), and an `http` pusher without a usable `data.url` gets the core's
//! `M_INVALID_PARAM`. Fields of the wrong JSON type are still `M_BAD_JSON`.

use axum::http;
use rempart_core::pushers::NewPusher;
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::api::{IncomingRequest, Metadata, client::push::set_pusher::v3, error::DeserializationError};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The request body; every field is optional here so that absent ones can be reported.
#[derive(Debug, Deserialize)]
pub(crate) struct SetPusherRequest {
    pushkey: Option<String>,
    app_id: Option<String>,
    /// Absent (`None`) is not the same as `null` (`Some(None)`), which deletes the pusher.
    #[serde(default, deserialize_with = "present")]
    kind: Option<Option<String>>,
    app_display_name: Option<String>,
    device_display_name: Option<String>,
    profile_tag: Option<String>,
    lang: Option<String>,
    data: Option<Map<String, Value>>,
    #[serde(default)]
    append: bool,
}

/// Deserialises a field that is present, `null` included.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

impl Metadata for SetPusherRequest {
    const METHOD: http::Method = v3::Request::METHOD;
    const RATE_LIMITED: bool = v3::Request::RATE_LIMITED;
    type Authentication = <v3::Request as Metadata>::Authentication;
    type PathBuilder = <v3::Request as Metadata>::PathBuilder;
    const PATH_BUILDER: Self::PathBuilder = v3::Request::PATH_BUILDER;
}

impl IncomingRequest for SetPusherRequest {
    type EndpointError = <v3::Request as IncomingRequest>::EndpointError;
    type OutgoingResponse = v3::Response;

    fn try_from_http_request_inner(
        request: http::Request<&[u8]>,
        _path_args: &[&str],
    ) -> Result<Self, DeserializationError> {
        Ok(serde_json::from_slice(request.body())?)
    }
}

/// What the request asks for.
enum Action {
    Set { pusher: NewPusher, append: bool },
    Delete { app_id: String, pushkey: String },
}

/// The value of a required field, noting its name in `absent` when it is missing.
fn take<T: Default>(value: Option<T>, name: &'static str, absent: &mut Vec<&'static str>) -> T {
    if value.is_none() {
        absent.push(name);
    }
    value.unwrap_or_default()
}

impl SetPusherRequest {
    fn into_action(self) -> ApiResult<Action> {
        let mut absent = Vec::new();
        let app_id = take(self.app_id, "app_id", &mut absent);
        let pushkey = take(self.pushkey, "pushkey", &mut absent);
        let action = match self.kind {
            None => {
                absent.push("kind");
                None
            }
            Some(None) => Some(Action::Delete { app_id, pushkey }),
            Some(Some(kind)) => {
                let pusher = NewPusher {
                    app_id,
                    pushkey,
                    kind,
                    app_display_name: take(self.app_display_name, "app_display_name", &mut absent),
                    device_display_name: take(self.device_display_name, "device_display_name", &mut absent),
                    profile_tag: self.profile_tag,
                    lang: take(self.lang, "lang", &mut absent),
                    data: take(self.data, "data", &mut absent),
                };
                Some(Action::Set { pusher, append: self.append })
            }
        };
        match action {
            Some(action) if absent.is_empty() => Ok(action),
            _ => Err(ApiError::MissingParam(format!("missing parameters: {}", absent.join(", ")))),
        }
    }
}

pub(crate) async fn set_pusher(state: AppState, request: Ruma<SetPusherRequest>) -> ApiResult<v3::Response> {
    let identity = request.identity()?.clone();
    match request.body.into_action()? {
        Action::Set { pusher, append } => state.set_pusher(&identity.user_id, &identity.device_id, pusher, append)?,
        Action::Delete { app_id, pushkey } => state.delete_pusher(&identity.user_id, &app_id, &pushkey)?,
    }
    Ok(v3::Response::new())
}
