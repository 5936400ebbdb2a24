//! `POST /_matrix/client/v3/keys/signatures/upload`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::keys::upload_signatures::v3::{Failure, Request, Response};
use serde_json::json;

pub(crate) async fn upload_signatures(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let signed: Vec<_> = request
        .signed_keys
        .iter()
        .flat_map(|(user_id, keys)| keys.iter().map(move |(key_id, json)| (user_id.clone(), key_id.to_owned(), json)))
        .collect();
    let mut response = Response::new();
    for (user_id, failures) in state.upload_signatures(identity, &signed)? {
        let entry = response.failures.entry(user_id).or_default();
        for (key_id, failure) in failures {
            // ruma's `Failure` can only be built by deserialising it.
            let failure: Failure =
                serde_json::from_value(json!({ "errcode": failure.errcode, "error": failure.message }))
                    .map_err(|e| CoreError::Internal(format!("building a signature failure: {e}")))?;
            entry.insert(key_id, failure);
        }
    }
    Ok(response)
}
