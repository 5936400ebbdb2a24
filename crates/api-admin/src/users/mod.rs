//! Account administration: Synapse's user admin API (query, create or modify, list,
//! deactivate, suspend, reset a password, devices, joined rooms) and the spec's own lock and
//! suspend endpoints (MSC4323, Matrix 1.18). Every change goes through the core services, which
//! report it to the audit hook; reads of an account are reported here.

mod deactivate;
mod devices;
mod get;
mod joined_rooms;
mod list;
mod moderation;
mod put;
mod reset_password;
mod suspend;

use axum::Router;
use rempart_core::CoreError;
use rempart_http::{ApiError, ApiResult, AppState, RouterExt};
use rempart_storage::{AccountStatus, UserRecord};
use ruma::{UInt, UserId};
use serde::{Deserialize, Serialize};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = router
        .ruma_route(get::get_user)
        .ruma_route(put::put_user)
        .ruma_route(list::list_users)
        .ruma_route(deactivate::deactivate)
        .ruma_route(suspend::suspend)
        .ruma_route(joined_rooms::joined_rooms)
        .ruma_route(reset_password::reset_password);
    moderation::routes(devices::routes(router))
}

/// Only this server's accounts are administered here (`M_INVALID_PARAM` for others).
fn ensure_local(state: &AppState, user_id: &UserId) -> ApiResult<()> {
    if user_id.server_name() == state.config.server_name {
        Ok(())
    } else {
        Err(ApiError::InvalidParam(format!("{user_id} is not a user of this server")))
    }
}

/// A local account, or `M_NOT_FOUND`.
fn local_user(state: &AppState, user_id: &UserId) -> ApiResult<UserRecord> {
    ensure_local(state, user_id)?;
    state.accounts.get_user(user_id)?.ok_or_else(|| CoreError::NotFound(format!("no such user {user_id}")).into())
}

fn uint(n: u64) -> UInt {
    UInt::try_from(n).unwrap_or(UInt::MAX)
}

/// When any of the account's devices was last used.
fn last_seen_ts(state: &AppState, user_id: &UserId) -> ApiResult<Option<UInt>> {
    Ok(state.devices(user_id)?.iter().filter_map(|device| device.last_seen_ts).max().map(uint))
}

/// One account as `GET /_synapse/admin/v2/users/{userId}` shows it, with Synapse's field names.
/// Rempart has no guests, third-party ids, external ids, user types, shadow bans or
/// application services; those fields keep their Synapse shape so admin tools read them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDetails {
    /// The user id.
    pub name: String,
    /// Display name.
    pub displayname: Option<String>,
    /// Avatar `mxc://` URI.
    pub avatar_url: Option<String>,
    /// Server admin.
    pub admin: bool,
    /// Deactivated for good.
    pub deactivated: bool,
    /// Every request refused with `M_USER_LOCKED`.
    pub locked: bool,
    /// Writes refused with `M_USER_SUSPENDED`.
    pub suspended: bool,
    /// Erased when it was deactivated.
    pub erased: bool,
    /// Always false.
    pub shadow_banned: bool,
    /// Always false.
    pub is_guest: bool,
    /// Always null.
    pub user_type: Option<String>,
    /// Always null.
    pub appservice_id: Option<String>,
    /// Creation time, in seconds since the epoch: Synapse reports this endpoint's timestamp in
    /// seconds (and the list's in milliseconds), and admin tools expect exactly that.
    pub creation_ts: UInt,
    /// When a device of the account was last used, milliseconds since the epoch.
    pub last_seen_ts: Option<UInt>,
    /// Always empty.
    pub threepids: Vec<serde_json::Value>,
    /// Always empty.
    pub external_ids: Vec<serde_json::Value>,
    /// Always null.
    pub consent_server_notice_sent: Option<String>,
    /// Always null.
    pub consent_version: Option<String>,
    /// Always null.
    pub consent_ts: Option<UInt>,
}

/// The details of an account, as the query and the create-or-modify endpoints return them.
fn user_details(state: &AppState, user: UserRecord) -> ApiResult<UserDetails> {
    Ok(UserDetails {
        last_seen_ts: last_seen_ts(state, &user.user_id)?,
        name: user.user_id.to_string(),
        displayname: user.displayname,
        avatar_url: user.avatar_url,
        admin: user.is_admin,
        deactivated: user.status == AccountStatus::Deactivated,
        locked: user.locked,
        suspended: user.suspended,
        erased: user.erased,
        shadow_banned: false,
        is_guest: false,
        user_type: None,
        appservice_id: None,
        creation_ts: uint(user.created_ts / 1_000),
        threepids: Vec::new(),
        external_ids: Vec::new(),
        consent_server_notice_sent: None,
        consent_version: None,
        consent_ts: None,
    })
}
