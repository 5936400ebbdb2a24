//! [`PusherStore`] for SQLite: the `pushers` table (see `migrations/005_pushers.sql`), which
//! cascades from `devices`.

use rempart_storage::{PusherRecord, PusherStore, Result, StorageError};
use ruma::UserId;
use rusqlite::params;

use crate::{SqliteStore, backend, corrupt, parse_id};

/// A stored row: every column but `user_id`, in `SELECT` order.
type Row = (String, String, String, String, String, String, Option<String>, String, String);

impl PusherStore for SqliteStore {
    fn set_pusher(&self, pusher: &PusherRecord, append: bool) -> Result<bool> {
        // Serialise before taking the writer, which other requests are waiting for.
        let data = serde_json::to_string(&pusher.data)
            .map_err(|e| StorageError::Backend(format!("serialising pusher data: {e}")))?;
        let (user, device) = (pusher.user_id.as_str(), pusher.device_id.as_str());
        let (app_id, pushkey) = (pusher.app_id.as_str(), pusher.pushkey.as_str());
        self.write(|tx| {
            // The device is looked up in the same transaction: one deleted since the request was
            // authenticated gets no pusher (the foreign key would refuse it anyway).
            let device_exists: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM devices WHERE user_id = ?1 AND device_id = ?2)")
                .and_then(|mut stmt| stmt.query_row([user, device], |r| r.get(0)))
                .map_err(backend)?;
            if !device_exists {
                return Ok(false);
            }
            if !append {
                tx.prepare_cached("DELETE FROM pushers WHERE app_id = ?1 AND pushkey = ?2 AND user_id <> ?3")
                    .and_then(|mut stmt| stmt.execute([app_id, pushkey, user]))
                    .map_err(backend)?;
            }
            tx.prepare_cached(
                "INSERT INTO pushers (user_id, app_id, pushkey, device_id, kind, app_display_name,
                     device_display_name, profile_tag, lang, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET
                     device_id = excluded.device_id, kind = excluded.kind,
                     app_display_name = excluded.app_display_name,
                     device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag,
                     lang = excluded.lang, data = excluded.data",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    user,
                    app_id,
                    pushkey,
                    device,
                    pusher.kind,
                    pusher.app_display_name,
                    pusher.device_display_name,
                    pusher.profile_tag,
                    pusher.lang,
                    data
                ])
            })
            .map_err(backend)?;
            Ok(true)
        })
    }

    fn delete_pusher(&self, user_id: &UserId, app_id: &str, pushkey: &str) -> Result<bool> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM pushers WHERE user_id = ?1 AND app_id = ?2 AND pushkey = ?3")
                .and_then(|mut stmt| stmt.execute([user_id.as_str(), app_id, pushkey]))
                .map(|deleted| deleted > 0)
                .map_err(backend)
        })
    }

    fn pushers(&self, user_id: &UserId) -> Result<Vec<PusherRecord>> {
        let rows: Vec<Row> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT device_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag,
                         lang, data
                     FROM pushers WHERE user_id = ?1 ORDER BY app_id, pushkey",
                )
                .map_err(backend)?;
            stmt.query_map([user_id.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(backend)
        })?;
        rows.into_iter()
            .map(
                |(device_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data)| {
                    Ok(PusherRecord {
                        user_id: user_id.to_owned(),
                        device_id: parse_id(device_id, "device id")?,
                        app_id,
                        pushkey,
                        kind,
                        app_display_name,
                        device_display_name,
                        profile_tag,
                        lang,
                        data: serde_json::from_str(&data).map_err(|e| corrupt(format!("stored pusher data: {e}")))?,
                    })
                },
            )
            .collect()
    }
}
