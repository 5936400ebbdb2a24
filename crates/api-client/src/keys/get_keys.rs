//! `POST /_matrix/client/v3/keys/query`

use std::collections::BTreeMap;

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    api::client::keys::get_keys::v3::{Request, Response},
    serde::Raw,
};
use serde_json::Value;

use super::raw;

/// Wraps every value of a map for the typed response.
fn wrap<K: Ord, T>(map: BTreeMap<K, Value>) -> ApiResult<BTreeMap<K, Raw<T>>> {
    map.into_iter().map(|(key, value)| Ok((key, raw(&value)?))).collect()
}

pub(crate) async fn get_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let keys = state.query_keys(&identity.user_id, &request.device_keys)?;
    let mut response = Response::new();
    response.failures = keys.failures;
    response.device_keys =
        keys.device_keys.into_iter().map(|(user, devices)| Ok((user, wrap(devices)?))).collect::<ApiResult<_>>()?;
    response.master_keys = wrap(keys.master_keys)?;
    response.self_signing_keys = wrap(keys.self_signing_keys)?;
    response.user_signing_keys = wrap(keys.user_signing_keys)?;
    Ok(response)
}
