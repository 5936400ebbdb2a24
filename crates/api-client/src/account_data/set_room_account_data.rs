//! `PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use rempart_core::account_data::is_server_managed;
use rempart_http::{AppState, Ruma};
use ruma::api::{Metadata, client::config::set_room_account_data::v3::Request, path_builder::PathBuilder};

use super::{object_body, own_identity, put_response, server_managed};

/// Every path of the endpoint.
pub(super) fn paths() -> impl Iterator<Item = &'static str> {
    Request::PATH_BUILDER.all_paths()
}

pub(super) async fn set_room_account_data(State(state): State<AppState>, request: Ruma<Request>) -> Response {
    let kind = request.event_type.to_string();
    let identity = match own_identity(&request, &request.user_id) {
        Ok(identity) => identity,
        Err(error) => return error.into_response(),
    };
    if is_server_managed(&kind) {
        return server_managed(&kind);
    }
    put_response(
        object_body(&request)
            .and_then(|body| Ok(state.set_account_data(&identity.user_id, Some(&request.room_id), &kind, body)?)),
    )
}
