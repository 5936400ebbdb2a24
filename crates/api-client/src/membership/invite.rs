//! `POST /_matrix/client/v3/rooms/{roomId}/invite`

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::membership::invite_user::v3::{InvitationRecipient, Request, Response};

pub(crate) async fn invite(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    identity.ensure_can_write()?;
    let InvitationRecipient::UserId(recipient) = &request.recipient else {
        return Err(CoreError::Forbidden("third-party invites are not supported on this server".into()).into());
    };
    state
        .rooms
        .invite(&request.room_id, &identity.user_id, &recipient.user_id, recipient.reason.as_deref(), false)
        .await?;
    Ok(Response::new())
}
