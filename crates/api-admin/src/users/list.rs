//! `GET /_synapse/admin/v2/users`: the local accounts, filtered, ordered and paginated with
//! Synapse's parameters (`from`, `limit`, `user_id`, `name`, `admins`, `deactivated`, `locked`,
//! `order_by`, `dir`). There are no guest accounts, so `guests` (like any unknown parameter) is
//! ignored.

use std::cmp::Ordering;

use rempart_core::audit::AuditEvent;
use rempart_http::{ApiError, ApiResult, AppState, Ruma};
use rempart_storage::{AccountStatus, UserRecord};
use ruma::UInt;

use super::{last_seen_ts, uint};
use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use ruma::{
        UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };
    use serde::{Deserialize, Serialize};

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v2/users",
        }
    }

    /// List accounts.
    #[request]
    pub struct Request {
        /// How many to skip (a `next_token` from the previous page).
        #[ruma_api(query)]
        pub from: Option<UInt>,
        /// How many to return at most (default 100).
        #[ruma_api(query)]
        pub limit: Option<UInt>,
        /// Only user ids containing this; ignored when `name` is given.
        #[ruma_api(query)]
        pub user_id: Option<String>,
        /// Only accounts whose local part or display name contains this (any case).
        #[ruma_api(query)]
        pub name: Option<String>,
        /// true: only admins; false: only non-admins; absent: both.
        #[ruma_api(query)]
        pub admins: Option<bool>,
        /// Include deactivated accounts (default false).
        #[ruma_api(query)]
        pub deactivated: Option<bool>,
        /// Include locked accounts (default false).
        #[ruma_api(query)]
        pub locked: Option<bool>,
        /// Sort key (default `name`).
        #[ruma_api(query)]
        pub order_by: Option<String>,
        /// `f` (default) or `b`.
        #[ruma_api(query)]
        pub dir: Option<String>,
    }

    /// One account in the list, with Synapse's field names.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ListedUser {
        /// The user id.
        pub name: String,
        /// Always false.
        pub is_guest: bool,
        /// Server admin.
        pub admin: bool,
        /// Always null.
        pub user_type: Option<String>,
        /// Deactivated.
        pub deactivated: bool,
        /// Erased when deactivated.
        pub erased: bool,
        /// Always false.
        pub shadow_banned: bool,
        /// Display name.
        pub displayname: Option<String>,
        /// Avatar.
        pub avatar_url: Option<String>,
        /// Creation time in milliseconds (Synapse's unit for this list).
        pub creation_ts: UInt,
        /// When a device was last used, in milliseconds.
        pub last_seen_ts: Option<UInt>,
        /// Locked.
        pub locked: bool,
        /// Suspended.
        pub suspended: bool,
        /// Always true: accounts need no approval.
        pub approved: bool,
    }

    /// A page of accounts.
    #[response]
    pub struct Response {
        /// The accounts.
        pub users: Vec<ListedUser>,
        /// Where the next page starts, as a string like Synapse's, if there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub next_token: Option<String>,
        /// How many accounts match the filters.
        pub total: UInt,
    }
}

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1_000;

/// The sort keys Synapse accepts that mean something here; the others sort nothing apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderBy {
    Name,
    Constant,
    Admin,
    Deactivated,
    Displayname,
    AvatarUrl,
    CreationTs,
    LastSeenTs,
}

impl OrderBy {
    fn parse(value: Option<&str>) -> ApiResult<Self> {
        Ok(match value.unwrap_or("name") {
            "name" => Self::Name,
            "is_guest" | "user_type" | "shadow_banned" => Self::Constant,
            "admin" => Self::Admin,
            "deactivated" => Self::Deactivated,
            "displayname" => Self::Displayname,
            "avatar_url" => Self::AvatarUrl,
            "creation_ts" => Self::CreationTs,
            "last_seen_ts" => Self::LastSeenTs,
            other => return Err(ApiError::InvalidParam(format!("unknown value for order_by: {other}"))),
        })
    }
}

struct Row {
    user: UserRecord,
    last_seen_ts: Option<UInt>,
}

fn matches(request: &api::Request, user: &UserRecord) -> bool {
    let deactivated = user.status == AccountStatus::Deactivated;
    if deactivated && !request.deactivated.unwrap_or(false) {
        return false;
    }
    if user.locked && !request.locked.unwrap_or(false) {
        return false;
    }
    if request.admins.is_some_and(|admins| admins != user.is_admin) {
        return false;
    }
    if let Some(name) = request.name.as_deref() {
        let name = name.to_lowercase();
        let in_displayname = user.displayname.as_deref().is_some_and(|d| d.to_lowercase().contains(&name));
        return user.user_id.localpart().to_lowercase().contains(&name) || in_displayname;
    }
    if let Some(part) = request.user_id.as_deref() {
        return user.user_id.as_str().to_lowercase().contains(&part.to_lowercase());
    }
    true
}

fn compare(order_by: OrderBy, a: &Row, b: &Row) -> Ordering {
    let key = match order_by {
        OrderBy::Name | OrderBy::Constant => Ordering::Equal,
        OrderBy::Admin => a.user.is_admin.cmp(&b.user.is_admin),
        OrderBy::Deactivated => {
            (a.user.status == AccountStatus::Deactivated).cmp(&(b.user.status == AccountStatus::Deactivated))
        }
        OrderBy::Displayname => a.user.displayname.cmp(&b.user.displayname),
        OrderBy::AvatarUrl => a.user.avatar_url.cmp(&b.user.avatar_url),
        OrderBy::CreationTs => a.user.created_ts.cmp(&b.user.created_ts),
        OrderBy::LastSeenTs => a.last_seen_ts.cmp(&b.last_seen_ts),
    };
    key.then_with(|| a.user.user_id.cmp(&b.user.user_id))
}

fn listed(row: Row) -> api::ListedUser {
    let Row { user, last_seen_ts } = row;
    api::ListedUser {
        name: user.user_id.to_string(),
        is_guest: false,
        admin: user.is_admin,
        user_type: None,
        deactivated: user.status == AccountStatus::Deactivated,
        erased: user.erased,
        shadow_banned: false,
        displayname: user.displayname,
        avatar_url: user.avatar_url,
        creation_ts: uint(user.created_ts),
        last_seen_ts,
        locked: user.locked,
        suspended: user.suspended,
        approved: true,
    }
}

pub(crate) async fn list_users(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let order_by = OrderBy::parse(request.order_by.as_deref())?;
    let backwards = match request.dir.as_deref() {
        None | Some("f") => false,
        Some("b") => true,
        Some(other) => return Err(ApiError::InvalidParam(format!("unknown direction: {other}"))),
    };
    let from = request.from.map_or(0, u64::from);
    let limit = request.limit.map_or(DEFAULT_LIMIT, u64::from).min(MAX_LIMIT);

    let users = state.store.list_users()?.into_iter().filter(|user| matches(&request, user));
    let mut rows = Vec::new();
    for user in users {
        // Looked up for every account only when it is the sort key; otherwise for the page.
        let last_seen_ts = if order_by == OrderBy::LastSeenTs { last_seen_ts(&state, &user.user_id)? } else { None };
        rows.push(Row { user, last_seen_ts });
    }
    rows.sort_by(|a, b| if backwards { compare(order_by, b, a) } else { compare(order_by, a, b) });
    let total = rows.len() as u64;
    let mut page = Vec::new();
    for mut row in rows.into_iter().skip(usize::try_from(from).unwrap_or(usize::MAX)).take(limit as usize) {
        if order_by != OrderBy::LastSeenTs {
            row.last_seen_ts = last_seen_ts(&state, &row.user.user_id)?;
        }
        page.push(listed(row));
    }
    let next = from.saturating_add(page.len() as u64);
    state.audit.record(&AuditEvent::AdminAction { actor: admin.user_id.as_str(), action: "user.list", target: "*" });
    Ok(api::Response {
        users: page,
        next_token: (next < total).then(|| next.to_string()),
        total: UInt::try_from(total).unwrap_or(UInt::MAX),
    })
}
