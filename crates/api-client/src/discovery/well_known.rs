//! `GET /.well-known/matrix/client` and `GET /.well-known/matrix/server`

use axum::{Json, extract::State};
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::discovery::discover_homeserver::{self, HomeserverInfo};

pub(crate) async fn client(
    state: AppState,
    _request: Ruma<discover_homeserver::Request>,
) -> ApiResult<discover_homeserver::Response> {
    Ok(discover_homeserver::Response::new(HomeserverInfo::new(state.config.client_base_url())))
}

/// Federation delegation: shards listen for federation on the same port as clients.
pub(crate) async fn server(State(state): State<AppState>) -> Json<serde_json::Value> {
    let address = state.config.listen.address;
    Json(serde_json::json!({ "m.server": format!("{}:{}", state.config.server_name, address.port()) }))
}
