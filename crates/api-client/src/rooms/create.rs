//! `POST /_matrix/client/v3/createRoom`

use rempart_core::{
    CoreError,
    rooms::{CreateRoomParams, Preset},
};
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::api::client::room::{
    Visibility,
    create_room::v3::{Request, Response, RoomPreset},
};
use serde_json::{Map, Value};

pub(crate) async fn create_room(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let body = &request.body;
    if !body.invite_3pid.is_empty() {
        return Err(CoreError::Forbidden("third-party invites are not supported on this server".into()).into());
    }
    let preset = match &body.preset {
        None => None,
        Some(RoomPreset::PrivateChat) => Some(Preset::PrivateChat),
        Some(RoomPreset::TrustedPrivateChat) => Some(Preset::TrustedPrivateChat),
        Some(RoomPreset::PublicChat) => Some(Preset::PublicChat),
        Some(other) => return Err(ApiError::BadJson(format!("unknown preset: {}", other.as_str()))),
    };
    let publish = matches!(body.visibility, Visibility::Public);
    if publish {
        state.ensure_may_publish_new_room(identity)?;
    }
    if let Some(local) = &body.room_alias_name
        && (local.is_empty() || local.contains(':') || local.chars().any(char::is_whitespace))
    {
        return Err(ApiError::InvalidParam(
            "room_alias_name must be a non-empty localpart without ':' or spaces".into(),
        ));
    }
    let params = CreateRoomParams {
        preset,
        publish,
        name: body.name.clone(),
        topic: body.topic.clone(),
        invite: body.invite.clone(),
        initial_state: body
            .initial_state
            .iter()
            .map(|raw| initial_state_event(raw.json().get()))
            .collect::<Result<_, _>>()?,
        room_version: body.room_version.clone(),
        creation_content: body
            .creation_content
            .as_ref()
            .map(|raw| object(raw.json().get(), "creation_content"))
            .transpose()?,
        power_level_content_override: body
            .power_level_content_override
            .as_ref()
            .map(|raw| object(raw.json().get(), "power_level_content_override"))
            .transpose()?,
        room_alias_name: body.room_alias_name.clone(),
        is_direct: body.is_direct,
    };
    let room_id = state.rooms.create_room(&identity.user_id, params).await?;
    tracing::info!(%room_id, creator = %identity.user_id, "room created");
    Ok(Response::new(room_id))
}

fn object(json: &str, field: &str) -> ApiResult<Map<String, Value>> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::BadJson(format!("{field} must be a JSON object"))),
    }
}

/// One `initial_state` entry as `(type, state_key, content)`.
fn initial_state_event(json: &str) -> ApiResult<(String, String, Value)> {
    let bad = |why: &str| ApiError::BadJson(format!("invalid initial_state event: {why}"));
    let mut event = object(json, "each initial_state event")?;
    let kind = match event.remove("type") {
        Some(Value::String(kind)) if !kind.is_empty() => kind,
        _ => return Err(bad("type must be a non-empty string")),
    };
    let state_key = match event.remove("state_key") {
        None => String::new(),
        Some(Value::String(key)) => key,
        Some(_) => return Err(bad("state_key must be a string")),
    };
    match event.remove("content") {
        Some(content @ Value::Object(_)) => Ok((kind, state_key, content)),
        _ => Err(bad("content must be an object")),
    }
}
