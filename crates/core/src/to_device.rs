//! To-device messages: queued per device, delivered by sync exactly once.
//!
//! A send request's messages are queued in one transaction at one stream position. Sync hands a
//! device every message queued after its `since` token up to the token it returns, and deletes
//! the messages at or before `since`: syncing from a token acknowledges everything delivered up
//! to it. A device that syncs again from an older token therefore gets the unacknowledged
//! messages again, never fewer.

use std::collections::BTreeMap;

use rempart_storage::to_device::ToDeviceTarget;
use ruma::{DeviceId, OwnedUserId, UserId, to_device::DeviceIdOrAllDevices};
use serde_json::{Value, json};

use crate::{CoreError, Result, Services, accounts::Identity};

/// Longest event type accepted, as for room events.
const MAX_TYPE_BYTES: usize = 255;

/// Longest transaction id accepted.
const MAX_TXN_ID_BYTES: usize = 255;

/// The messages of a send request: recipient user → device id (or `*`) → content.
pub type ToDeviceMessages = BTreeMap<OwnedUserId, BTreeMap<DeviceIdOrAllDevices, Value>>;

impl Services {
    /// Queues to-device messages for local devices. Idempotent per sending device and
    /// transaction id: a repeated request succeeds without queueing anything again.
    ///
    /// Every content must be a JSON object (`M_BAD_JSON`) and every local recipient must exist
    /// (`M_INVALID_PARAM`); devices that do not exist are skipped, as are remote recipients
    /// until federation is built. Nothing is queued unless the whole request is valid.
    pub fn send_to_device(
        &self,
        sender: &Identity,
        kind: &str,
        txn_id: &str,
        messages: ToDeviceMessages,
    ) -> Result<()> {
        if kind.is_empty() || kind.len() > MAX_TYPE_BYTES {
            return Err(CoreError::InvalidParam(format!("event type must be 1 to {MAX_TYPE_BYTES} bytes")));
        }
        if txn_id.is_empty() || txn_id.len() > MAX_TXN_ID_BYTES {
            return Err(CoreError::InvalidParam(format!("transaction id must be 1 to {MAX_TXN_ID_BYTES} bytes")));
        }
        let mut targets = Vec::new();
        for (user_id, devices) in messages {
            if user_id.server_name() != self.config.server_name {
                tracing::warn!(
                    %user_id,
                    kind,
                    sender = %sender.user_id,
                    "dropping to-device messages for a remote user: federation is not supported yet"
                );
                continue;
            }
            if self.store.get_user(&user_id)?.is_none() {
                return Err(CoreError::InvalidParam(format!("unknown user {user_id}")));
            }
            for (device, content) in devices {
                if !content.is_object() {
                    return Err(CoreError::BadJson(format!(
                        "the content of the message for {user_id} {device} must be a JSON object"
                    )));
                }
                targets.push(ToDeviceTarget { user_id: user_id.clone(), device, content });
            }
        }
        let queued = self.store.queue_to_device(&sender.user_id, &sender.device_id, txn_id, kind, &targets)?;
        if queued.is_some() && !targets.is_empty() {
            self.notifier.notify();
        }
        Ok(())
    }

    /// Messages for a device with stream positions in `(since, until]`, oldest first, after
    /// deleting those at or before `since`, which the device acknowledged by syncing from it.
    /// All of them are returned: sync's next token is `until`, so holding any back would lose
    /// it.
    pub fn to_device_for_sync(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        since: Option<i64>,
        until: i64,
    ) -> Result<Vec<Value>> {
        if let Some(since) = since {
            self.store.delete_to_device(user_id, device_id, since)?;
        }
        let messages = self.store.to_device_messages(user_id, device_id, since.unwrap_or(0), until)?;
        Ok(messages.into_iter().map(|m| json!({ "type": m.kind, "sender": m.sender, "content": m.content })).collect())
    }
}
