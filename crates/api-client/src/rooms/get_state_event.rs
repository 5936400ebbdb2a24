//! `GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`, also without the state
//! key (`.../state/{eventType}` and `.../state/{eventType}/`) for the empty one. `?format=event`
//! returns the whole event instead of its content.

use axum::{extract::State, response::Response};
use rempart_core::events::{Viewer, client_event};
use rempart_http::{AppState, Ruma};
use ruma::api::client::state::get_state_event_for_key::v3::{Request, Response as StateResponse, StateEventFormat};

use super::reply::{Outcome, respond};

/// The axum handler, registered under every path form.
pub(crate) async fn route(State(state): State<AppState>, request: Ruma<Request>) -> Response {
    respond(get_state_event(&state, &request))
}

fn get_state_event(state: &AppState, request: &Ruma<Request>) -> Outcome<StateResponse> {
    let identity = request.identity()?;
    let event = state.rooms.state_event_for_user(
        &identity.user_id,
        &request.room_id,
        &request.event_type,
        &request.state_key,
    )?;
    let body = match request.format {
        StateEventFormat::Event => {
            let viewer = Viewer { user_id: &identity.user_id, device_id: Some(&identity.device_id) };
            client_event(&*state.store, &event, viewer, true)
        }
        _ => event.pdu.content_value(),
    };
    let raw = serde_json::value::to_raw_value(&body).map_err(|e| rempart_core::CoreError::Internal(e.to_string()))?;
    Ok(StateResponse::new(raw))
}
