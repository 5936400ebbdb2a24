//! `GET /_matrix/client/versions`

use std::collections::BTreeMap;

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::discovery::get_supported_versions;

/// Spec versions whose endpoints this server implements.
const VERSIONS: &[&str] = &[
    "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12",
    "v1.13", "v1.14", "v1.15", "v1.16",
];

pub(crate) async fn get_versions(
    _state: AppState,
    _request: Ruma<get_supported_versions::Request>,
) -> ApiResult<get_supported_versions::Response> {
    let mut response = get_supported_versions::Response::new(VERSIONS.iter().map(|v| (*v).to_owned()).collect());
    response.unstable_features = BTreeMap::new();
    Ok(response)
}
