//! To-device messages: per-device queues delivered by sync.
//!
//! A message is queued for a recipient device at a position of the global stream, stays queued
//! while sync delivers it, and is deleted once the device acknowledges it by syncing from a
//! position at or after it. Deleting a device drops its queue.

use ruma::{DeviceId, OwnedUserId, UserId, to_device::DeviceIdOrAllDevices};

use crate::Result;

/// One message of a send request, before it is expanded to devices.
#[derive(Debug, Clone)]
pub struct ToDeviceTarget {
    /// The recipient, a local user.
    pub user_id: OwnedUserId,
    /// One of the recipient's devices, or all of them.
    pub device: DeviceIdOrAllDevices,
    /// The content, a JSON object.
    pub content: serde_json::Value,
}

/// A message waiting in a device's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ToDeviceRecord {
    /// Who sent it.
    pub sender: OwnedUserId,
    /// Event type.
    pub kind: String,
    /// Content.
    pub content: serde_json::Value,
    /// Stream position it was queued at.
    pub stream: i64,
}

/// To-device message storage.
pub trait ToDeviceStore {
    /// Queues the messages of one send request, in one transaction, at one new stream position,
    /// which it returns. Each target is expanded to the recipient's devices that exist at that
    /// moment: a target naming an unknown device queues nothing.
    ///
    /// Requests are idempotent per sending device and transaction id: when `(sender,
    /// sender_device, txn_id)` was seen before, nothing is written and `None` is returned. The
    /// transaction id is forgotten when the sending device is deleted.
    fn queue_to_device(
        &self,
        sender: &UserId,
        sender_device: &DeviceId,
        txn_id: &str,
        kind: &str,
        targets: &[ToDeviceTarget],
    ) -> Result<Option<i64>>;

    /// Messages queued for a device at positions in `(since, until]`, oldest first (in the
    /// order they were queued).
    fn to_device_messages(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        since: i64,
        until: i64,
    ) -> Result<Vec<ToDeviceRecord>>;

    /// Deletes the device's messages at positions up to and including `up_to`; returns how
    /// many were deleted.
    fn delete_to_device(&self, user_id: &UserId, device_id: &DeviceId, up_to: i64) -> Result<usize>;
}
