//! `PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId}`

use rempart_core::to_device::ToDeviceMessages;
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use ruma::api::client::to_device::send_event_to_device::v3::{Request, Response};
use serde_json::Value;

pub(crate) async fn send_to_device(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let mut messages = ToDeviceMessages::new();
    for (user_id, devices) in &request.body.messages {
        let devices = devices
            .iter()
            .map(|(device, content)| {
                let content: Value = serde_json::from_str(content.json().get())
                    .map_err(|e| ApiError::BadJson(format!("invalid content for {user_id} {device}: {e}")))?;
                Ok((device.clone(), content))
            })
            .collect::<Result<_, ApiError>>()?;
        messages.insert(user_id.clone(), devices);
    }
    state.send_to_device(identity, &request.event_type.to_string(), request.txn_id.as_str(), messages)?;
    Ok(Response::new())
}
