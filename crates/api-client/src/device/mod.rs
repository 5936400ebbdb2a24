//! The user's devices: listing, reading, renaming and deleting them (deletion requires
//! user-interactive authentication with the account password).

mod delete_device;
mod delete_devices;
mod get_device;
mod get_devices;
mod update_device;

use axum::Router;
use rempart_http::{AppState, RouterExt};
use rempart_storage::DeviceRecord;
use ruma::{MilliSecondsSinceUnixEpoch, UInt, api::client::device::Device};

pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_route(get_devices::get_devices)
        .ruma_route(get_device::get_device)
        .ruma_route(update_device::update_device)
        .ruma_route(delete_device::delete_device)
        .ruma_route(delete_devices::delete_devices)
}

/// The client view of a stored device.
fn to_device(record: DeviceRecord) -> Device {
    let mut device = Device::new(record.device_id);
    device.display_name = record.display_name;
    device.last_seen_ip = record.last_seen_ip;
    device.last_seen_ts = record.last_seen_ts.and_then(|ts| UInt::try_from(ts).ok()).map(MilliSecondsSinceUnixEpoch);
    device
}
