//! The admin API: the endpoints of Synapse's admin API that Rempart supports, under the same
//! paths and with the same JSON, so that existing admin tools work, plus the spec's account
//! moderation endpoints (MSC4323, `/_matrix/client/v1/admin/...`). Every endpoint requires an
//! access token of a server admin (`M_FORBIDDEN` for anyone else) except shared-secret
//! registration, which the MAC authenticates; every action is reported to the audit hook.
//!
//! The Synapse endpoints are not in the Matrix spec, so their types are declared here with
//! ruma's request and response macros.

mod media;
mod register;
mod rooms;
mod server_notice;
mod users;
mod whois;

use axum::Router;
use rempart_core::{CoreError, accounts::Identity};
use rempart_http::{ApiResult, AppState};

/// Every admin route, ready for [`rempart_http::finish_router`].
pub fn routes() -> Router<AppState> {
    media::routes(Router::new())
        .merge(whois::routes())
        .merge(users::routes(register::routes(Router::new())))
        .merge(server_notice::routes(rooms::routes(Router::new())))
}

/// The caller, who must be a server admin.
fn require_admin(identity: &Identity) -> ApiResult<&Identity> {
    if !identity.is_admin {
        return Err(CoreError::Forbidden("only server admins may use the admin API".into()).into());
    }
    // A suspended admin account is not trusted with the platform either.
    identity.ensure_can_write()?;
    Ok(identity)
}
