//! `GET /_matrix/client/v3/sync`

use std::time::Duration;

use rempart_core::{
    CoreError,
    sync::{StreamToken, SyncParams},
};
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::{
    UserId,
    api::client::{filter::FilterDefinition, sync::sync_events::v3::Filter, sync::sync_events::v3::Request},
};

/// Resolves the `filter` parameter: an inline JSON definition or the id of a stored filter.
fn resolve_filter(state: &AppState, user_id: &UserId, filter: Option<&Filter>) -> ApiResult<FilterDefinition> {
    match filter {
        None => Ok(FilterDefinition::default()),
        Some(Filter::FilterDefinition(definition)) => Ok(definition.clone()),
        Some(Filter::FilterId(id)) if id.trim_start().starts_with('{') => {
            Err(ApiError::InvalidParam("the filter parameter is not a valid filter definition".into()))
        }
        Some(Filter::FilterId(id)) => {
            let stored = state
                .store
                .get_filter(user_id, id)?
                .ok_or_else(|| ApiError::InvalidParam(format!("unknown filter id {id}")))?;
            serde_json::from_value(stored)
                .map_err(|e| CoreError::Internal(format!("stored filter {id} of {user_id} does not parse: {e}")).into())
        }
        Some(_) => Err(ApiError::InvalidParam("unsupported filter parameter".into())),
    }
}

pub(crate) async fn sync_events(state: AppState, request: Ruma<Request>) -> ApiResult<serde_json::Value> {
    let identity = request.identity()?;
    let since = match request.since.as_deref() {
        None => None,
        Some(token) => Some(
            StreamToken::parse(token).ok_or_else(|| ApiError::InvalidParam(format!("invalid since token {token}")))?,
        ),
    };
    let filter = resolve_filter(&state, &identity.user_id, request.filter.as_ref())?;
    state.presence_on_sync(&identity.user_id, request.set_presence.as_str())?;
    let params = SyncParams {
        since,
        full_state: request.full_state,
        timeout: request.timeout.unwrap_or(Duration::ZERO),
        filter,
    };
    Ok(state.sync(identity, params).await?)
}
