//! `POST /_synapse/admin/v1/send_server_notice` and `PUT .../send_server_notice/{txnId}`: an
//! operator's message to one user, posted by the server notices account into the user's
//! notices room (created on first use). The `PUT` form is idempotent per transaction id.

use rempart_core::CoreError;
use rempart_http::{ApiResult, AppState, Ruma};

use crate::require_admin;

/// The body both forms share.
pub mod body {
    use ruma::OwnedUserId;
    use serde::{Deserialize, Serialize};

    /// Who gets what.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Notice {
        /// The recipient, a user of this server.
        pub user_id: OwnedUserId,
        /// The message content; a string `body` is required, `msgtype` defaults to
        /// `m.server_notice`.
        pub content: serde_json::Value,
        /// The event type; only `m.room.message` is accepted.
        #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
        pub event_type: Option<String>,
        /// State notices are not supported; must be absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub state_key: Option<String>,
    }
}

/// The `POST` form's types.
pub mod send {
    use ruma::{
        OwnedEventId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::body::Notice;

    metadata! {
        method: POST,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/send_server_notice",
        }
    }

    /// Send a notice.
    #[request]
    pub struct Request {
        /// The notice.
        #[ruma_api(body)]
        pub notice: Notice,
    }

    /// The notice's event.
    #[response]
    pub struct Response {
        /// Its id.
        pub event_id: OwnedEventId,
    }
}

/// The `PUT` form's types.
pub mod send_txn {
    use ruma::{
        OwnedEventId,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };

    use super::body::Notice;

    metadata! {
        method: PUT,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/send_server_notice/{txn_id}",
        }
    }

    /// Send a notice once per transaction id.
    #[request]
    pub struct Request {
        /// The operator's transaction id.
        #[ruma_api(path)]
        pub txn_id: String,
        /// The notice.
        #[ruma_api(body)]
        pub notice: Notice,
    }

    /// The notice's event.
    #[response]
    pub struct Response {
        /// Its id.
        pub event_id: OwnedEventId,
    }
}

async fn send_notice(
    state: &AppState,
    identity: &rempart_core::accounts::Identity,
    notice: &body::Notice,
    txn_id: Option<&str>,
) -> ApiResult<ruma::OwnedEventId> {
    let admin = require_admin(identity)?;
    if notice.event_type.as_deref().is_some_and(|kind| kind != "m.room.message") {
        return Err(CoreError::InvalidParam("server notices are m.room.message events".into()).into());
    }
    if notice.state_key.is_some() {
        return Err(CoreError::InvalidParam("server notices cannot be state events".into()).into());
    }
    let txn = txn_id.map(|txn_id| (admin.device_id.clone(), txn_id.to_owned()));
    Ok(state.send_server_notice(admin.user_id.as_str(), &notice.user_id, notice.content.clone(), txn).await?)
}

pub(crate) async fn send_server_notice(state: AppState, request: Ruma<send::Request>) -> ApiResult<send::Response> {
    let event_id = send_notice(&state, request.identity()?, &request.notice, None).await?;
    Ok(send::Response { event_id })
}

pub(crate) async fn send_server_notice_txn(
    state: AppState,
    request: Ruma<send_txn::Request>,
) -> ApiResult<send_txn::Response> {
    let event_id = send_notice(&state, request.identity()?, &request.notice, Some(&request.txn_id)).await?;
    Ok(send_txn::Response { event_id })
}

pub(crate) fn routes(router: axum::Router<AppState>) -> axum::Router<AppState> {
    use rempart_http::RouterExt;
    router.ruma_route(send_server_notice).ruma_route(send_server_notice_txn)
}
