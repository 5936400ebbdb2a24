//! An account's devices: list them, show, rename or delete one, delete several. Deleting a
//! device ends its session and removes its keys; the user's contacts see the device-list change.

mod delete;
mod delete_many;
mod get;
mod list;
mod update;

use axum::Router;
use rempart_http::{AppState, RouterExt};
use rempart_storage::DeviceRecord;
use ruma::UInt;
use serde::{Deserialize, Serialize};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(list::list_devices)
        .ruma_route(get::get_device)
        .ruma_route(update::update_device)
        .ruma_route(delete::delete_device)
        .ruma_route(delete_many::delete_devices)
}

/// One device, with Synapse's field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device id.
    pub device_id: String,
    /// The name the user gave it; absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The address it was last used from.
    pub last_seen_ip: Option<String>,
    /// When it was last used, milliseconds since the epoch.
    pub last_seen_ts: Option<UInt>,
    /// The user agent it was last used with.
    pub last_seen_user_agent: Option<String>,
    /// The owner.
    pub user_id: String,
    /// Always false: dehydrated devices are not supported.
    pub dehydrated: bool,
}

impl From<DeviceRecord> for DeviceInfo {
    fn from(device: DeviceRecord) -> Self {
        Self {
            device_id: device.device_id.to_string(),
            display_name: device.display_name,
            last_seen_ip: device.last_seen_ip,
            last_seen_ts: device.last_seen_ts.map(super::uint),
            last_seen_user_agent: device.last_seen_user_agent,
            user_id: device.user_id.to_string(),
            dehydrated: false,
        }
    }
}
