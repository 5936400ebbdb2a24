//! `POST /_matrix/client/v3/keys/claim`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    OwnedOneTimeKeyId,
    api::client::keys::claim_keys::v3::{Request, Response},
};

use super::raw;

pub(crate) async fn claim_keys(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    request.identity()?;
    let claimed = state.claim_keys(&request.one_time_keys)?;
    let mut one_time_keys = std::collections::BTreeMap::new();
    for (user_id, devices) in claimed.one_time_keys {
        let mut by_device = std::collections::BTreeMap::new();
        for (device_id, keys) in devices {
            let mut by_id = std::collections::BTreeMap::new();
            for (key_id, key) in keys {
                // Ids were checked when the keys were uploaded.
                if let Ok(key_id) = OwnedOneTimeKeyId::try_from(key_id) {
                    by_id.insert(key_id, raw(&key)?);
                }
            }
            by_device.insert(device_id, by_id);
        }
        one_time_keys.insert(user_id, by_device);
    }
    let mut response = Response::new(one_time_keys);
    response.failures = claimed.failures;
    Ok(response)
}
