//! `POST /_matrix/client/v3/search`

use rempart_core::{
    events::{Viewer, client_event},
    sync::StreamToken,
};
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::api::client::search::search_events;
use serde_json::{Value, json};

pub(crate) async fn search_events(state: AppState, request: Ruma<search_events::v3::Request>) -> ApiResult<Value> {
    let identity = request.identity()?;
    let Some(criteria) = &request.search_categories.room_events else {
        return Ok(json!({ "search_categories": {} }));
    };
    let before = match &request.next_batch {
        Some(token) => Some(
            StreamToken::parse(token).ok_or_else(|| ApiError::InvalidParam("invalid next_batch token".into()))?.stream,
        ),
        None => None,
    };
    let page = state.rooms.search(&identity.user_id, &criteria.search_term, &criteria.filter, before)?;
    let viewer = Viewer { user_id: &identity.user_id, device_id: Some(&identity.device_id) };
    let results: Vec<Value> = page
        .results
        .iter()
        .map(|event| json!({ "rank": 1.0, "result": client_event(&*state.store, event, viewer, true) }))
        .collect();
    let mut room_events = json!({
        "count": results.len(),
        "results": results,
        "highlights": criteria.search_term.split_whitespace().collect::<Vec<_>>(),
    });
    if let Some(next) = page.next_batch {
        room_events["next_batch"] = next.to_string().into();
    }
    Ok(json!({ "search_categories": { "room_events": room_events } }))
}
