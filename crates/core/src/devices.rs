//! A user's own devices: listing, renaming and deleting them (deleting a device ends its
//! session). Deletion is guarded by user-interactive authentication at the endpoint.

use rempart_storage::DeviceRecord;
use ruma::{DeviceId, OwnedDeviceId, UserId};

use crate::{CoreError, Result, Services};

/// Longest device display name accepted (Synapse's limit).
const MAX_DISPLAY_NAME_CHARS: usize = 100;

fn not_found() -> CoreError {
    CoreError::NotFound("device not found".into())
}

impl Services {
    /// The user's devices.
    pub fn devices(&self, user_id: &UserId) -> Result<Vec<DeviceRecord>> {
        Ok(self.store.list_devices(user_id)?)
    }

    /// One of the user's devices, `M_NOT_FOUND` when it is not theirs.
    pub fn device(&self, user_id: &UserId, device_id: &DeviceId) -> Result<DeviceRecord> {
        self.store.get_device(user_id, device_id)?.ok_or_else(not_found)
    }

    /// Renames a device; `None` leaves the name unchanged (spec), but the device must exist.
    pub fn rename_device(&self, user_id: &UserId, device_id: &DeviceId, display_name: Option<&str>) -> Result<()> {
        let Some(name) = display_name else {
            return self.device(user_id, device_id).map(|_| ());
        };
        if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(CoreError::InvalidParam("device display name is longer than 100 characters".into()));
        }
        if self.store.set_device_display_name(user_id, device_id, Some(name))? { Ok(()) } else { Err(not_found()) }
    }

    /// Deletes devices of the user and their sessions; ids that are not the user's are
    /// ignored (spec `POST /delete_devices`).
    pub fn delete_devices(&self, user_id: &UserId, device_ids: &[OwnedDeviceId]) -> Result<()> {
        let mut ids = device_ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(());
        }
        self.accounts.delete_devices(user_id, &ids)
    }
}
