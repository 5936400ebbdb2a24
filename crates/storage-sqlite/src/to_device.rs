//! [`ToDeviceStore`] for SQLite: `to_device_messages` holds the per-device queues and
//! `to_device_txns` the transaction ids already seen, both cascading from `devices`.

use rempart_storage::to_device::{ToDeviceRecord, ToDeviceTarget};
use rempart_storage::{Result, StorageError, ToDeviceStore};
use ruma::{DeviceId, UserId, to_device::DeviceIdOrAllDevices};
use rusqlite::params;

use crate::events::next_stream;
use crate::{SqliteStore, backend, corrupt, parse_id};

impl ToDeviceStore for SqliteStore {
    fn queue_to_device(
        &self,
        sender: &UserId,
        sender_device: &DeviceId,
        txn_id: &str,
        kind: &str,
        targets: &[ToDeviceTarget],
    ) -> Result<Option<i64>> {
        // Serialise before taking the writer, which other requests are waiting for.
        let contents = targets
            .iter()
            .map(|target| {
                serde_json::to_string(&target.content)
                    .map_err(|e| StorageError::Backend(format!("serialising to-device content: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let (sender, sender_device) = (sender.as_str(), sender_device.as_str());
        self.write(|tx| {
            let fresh = tx
                .prepare_cached(
                    "INSERT INTO to_device_txns (user_id, device_id, txn_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                )
                .and_then(|mut stmt| stmt.execute([sender, sender_device, txn_id]))
                .map_err(backend)?;
            if fresh == 0 {
                return Ok(None);
            }
            let stream = next_stream(tx)?;
            // Selecting the recipients from `devices` expands `*` and skips devices that do not
            // exist (any more), in the same snapshot as the insert.
            let mut to_one = tx
                .prepare_cached(
                    "INSERT INTO to_device_messages (stream, user_id, device_id, sender, sender_device, type, content)
                     SELECT ?1, user_id, device_id, ?4, ?5, ?6, ?7 FROM devices
                     WHERE user_id = ?2 AND device_id = ?3",
                )
                .map_err(backend)?;
            let mut to_all = tx
                .prepare_cached(
                    "INSERT INTO to_device_messages (stream, user_id, device_id, sender, sender_device, type, content)
                     SELECT ?1, user_id, device_id, ?3, ?4, ?5, ?6 FROM devices
                     WHERE user_id = ?2 ORDER BY device_id",
                )
                .map_err(backend)?;
            for (target, content) in targets.iter().zip(&contents) {
                let user = target.user_id.as_str();
                match &target.device {
                    DeviceIdOrAllDevices::DeviceId(device) => {
                        to_one.execute(params![stream, user, device.as_str(), sender, sender_device, kind, content])
                    }
                    DeviceIdOrAllDevices::AllDevices => {
                        to_all.execute(params![stream, user, sender, sender_device, kind, content])
                    }
                }
                .map_err(backend)?;
            }
            Ok(Some(stream))
        })
    }

    fn to_device_messages(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        since: i64,
        until: i64,
    ) -> Result<Vec<ToDeviceRecord>> {
        let rows: Vec<(String, String, String, i64)> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT sender, type, content, stream FROM to_device_messages
                     WHERE user_id = ?1 AND device_id = ?2 AND stream > ?3 AND stream <= ?4
                     ORDER BY stream, id",
                )
                .map_err(backend)?;
            stmt.query_map(params![user_id.as_str(), device_id.as_str(), since, until], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(sender, kind, content, stream)| {
                Ok(ToDeviceRecord {
                    sender: parse_id(sender, "user id")?,
                    kind,
                    content: serde_json::from_str(&content)
                        .map_err(|e| corrupt(format!("stored to-device content: {e}")))?,
                    stream,
                })
            })
            .collect()
    }

    fn delete_to_device(&self, user_id: &UserId, device_id: &DeviceId, up_to: i64) -> Result<usize> {
        let (user, device) = (user_id.as_str(), device_id.as_str());
        // Every sync acknowledges, but few have anything to delete: look first so that syncs do
        // not queue for the single writer for nothing.
        let pending: bool = self.read(|tx| {
            tx.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM to_device_messages
                 WHERE user_id = ?1 AND device_id = ?2 AND stream <= ?3)",
            )
            .and_then(|mut stmt| stmt.query_row(params![user, device, up_to], |r| r.get(0)))
            .map_err(backend)
        })?;
        if !pending {
            return Ok(0);
        }
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM to_device_messages WHERE user_id = ?1 AND device_id = ?2 AND stream <= ?3")
                .and_then(|mut stmt| stmt.execute(params![user, device, up_to]))
                .map_err(backend)
        })
    }
}
