//! `GET /_synapse/admin/v1/whois/{userId}`, also served at the spec's
//! `GET /_matrix/client/v3/admin/whois/{userId}` (same JSON; the spec lets servers keep it to
//! admins): every session of a user with every IP address and user agent it was used from, and
//! when, from the session history. Devices deleted since (a
//! logout, a deactivation) are listed too, marked `deleted`, because their history is kept: that
//! is what an operator investigating a hijacked account needs. The read is audited.

use std::collections::{BTreeMap, BTreeSet};

use rempart_core::{CoreError, audit::AuditEvent};
use rempart_http::{ApiResult, AppState, Ruma};
use rempart_storage::{DeviceRecord, SessionUse};
use ruma::{OwnedDeviceId, UInt};

use crate::require_admin;

/// The endpoint's types.
pub mod api {
    use std::collections::BTreeMap;

    use ruma::{
        OwnedDeviceId, OwnedUserId, UInt,
        api::{auth_scheme::AccessToken, request, response},
        metadata,
    };
    use serde::{Deserialize, Serialize};

    metadata! {
        method: GET,
        rate_limited: false,
        authentication: AccessToken,
        history: {
            unstable => "/_synapse/admin/v1/whois/{user_id}",
            1.0 => "/_matrix/client/r0/admin/whois/{user_id}",
            1.1 => "/_matrix/client/v3/admin/whois/{user_id}",
        }
    }

    /// Who is behind an account's sessions.
    #[request]
    pub struct Request {
        /// The user.
        #[ruma_api(path)]
        pub user_id: OwnedUserId,
    }

    /// Synapse's shape: devices, each with one session listing its connections.
    #[response]
    pub struct Response {
        /// The user.
        pub user_id: OwnedUserId,
        /// Every device with recorded use, by device id.
        pub devices: BTreeMap<OwnedDeviceId, DeviceInfo>,
    }

    /// One device.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct DeviceInfo {
        /// Synapse lists sessions per device; Rempart has one session per device.
        pub sessions: Vec<SessionInfo>,
        /// A Rempart addition: the device no longer exists (its history is kept).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pub deleted: bool,
    }

    /// One session.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct SessionInfo {
        /// Every (IP address, user agent) pair, most recent first.
        pub connections: Vec<ConnectionInfo>,
    }

    /// One (IP address, user agent) pair.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ConnectionInfo {
        /// Client IP address; null when it was not known.
        pub ip: Option<String>,
        /// Last use from this pair, milliseconds since the epoch.
        pub last_seen: Option<UInt>,
        /// Client user agent; null when the client sent none.
        pub user_agent: Option<String>,
        /// A Rempart addition: first use from this pair, milliseconds since the epoch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub first_seen: Option<UInt>,
    }
}

fn millis(ts: u64) -> Option<UInt> {
    UInt::try_from(ts).ok()
}

fn connection(seen: SessionUse) -> api::ConnectionInfo {
    api::ConnectionInfo {
        ip: seen.ip,
        last_seen: millis(seen.last_seen),
        user_agent: seen.user_agent,
        first_seen: millis(seen.first_seen),
    }
}

/// A device whose history was pruned still shows what its record last saw.
fn last_seen_of(device: &DeviceRecord) -> Option<api::ConnectionInfo> {
    device.last_seen_ts.map(|ts| api::ConnectionInfo {
        ip: device.last_seen_ip.clone(),
        last_seen: millis(ts),
        user_agent: device.last_seen_user_agent.clone(),
        first_seen: None,
    })
}

/// Groups the history by device; the history comes ordered by device, most recent first.
fn devices_info(devices: &[DeviceRecord], history: Vec<SessionUse>) -> BTreeMap<OwnedDeviceId, api::DeviceInfo> {
    let live: BTreeSet<&OwnedDeviceId> = devices.iter().map(|d| &d.device_id).collect();
    let mut connections: BTreeMap<OwnedDeviceId, Vec<api::ConnectionInfo>> = BTreeMap::new();
    for seen in history {
        connections.entry(seen.device_id.clone()).or_default().push(connection(seen));
    }
    for device in devices {
        let entry = connections.entry(device.device_id.clone()).or_default();
        if entry.is_empty() {
            entry.extend(last_seen_of(device));
        }
    }
    connections
        .into_iter()
        .map(|(device_id, connections)| {
            let deleted = !live.contains(&device_id);
            (device_id, api::DeviceInfo { sessions: vec![api::SessionInfo { connections }], deleted })
        })
        .collect()
}

pub(crate) async fn whois(state: AppState, request: Ruma<api::Request>) -> ApiResult<api::Response> {
    let admin = require_admin(request.identity()?)?;
    let user_id = &request.user_id;
    if state.store.get_user(user_id)?.is_none() {
        return Err(CoreError::NotFound(format!("no such user {user_id}")).into());
    }
    let devices = state.store.list_devices(user_id)?;
    let history = state.store.session_history(user_id)?;
    state.audit.record(&AuditEvent::AdminAction {
        actor: admin.user_id.as_str(),
        action: "user.whois",
        target: user_id.as_str(),
    });
    Ok(api::Response { user_id: user_id.clone(), devices: devices_info(&devices, history) })
}

/// The endpoint's route.
pub(crate) fn routes() -> axum::Router<AppState> {
    use rempart_http::RouterExt;
    axum::Router::new().ruma_route(whois)
}
