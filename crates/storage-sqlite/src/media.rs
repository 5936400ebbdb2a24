//! [`MediaStore`] for SQLite: the `media` and `media_links` tables (see
//! `migrations/006_media.sql`).

use rempart_storage::{CompleteUpload, MediaContent, MediaLink, MediaRecord, MediaStore, Result};
use ruma::UserId;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{SqliteStore, backend, parse_id, to_i64, to_u64};

const MEDIA_COLUMNS: &str =
    "media_id, uploader, created_ts, sha256, size, content_type, file_name, expires_ts, quarantined";

type MediaRow = (String, String, i64, Option<String>, i64, Option<String>, Option<String>, Option<i64>, bool);

fn read_row(row: &Row<'_>) -> rusqlite::Result<MediaRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn record(row: MediaRow) -> Result<MediaRecord> {
    let (media_id, uploader, created_ts, sha256, size, content_type, file_name, expires_ts, quarantined) = row;
    let content = match sha256 {
        Some(sha256) => Some(MediaContent {
            sha256,
            size: to_u64(size)?,
            content_type: content_type.unwrap_or_else(|| "application/octet-stream".into()),
            file_name,
        }),
        None => None,
    };
    Ok(MediaRecord {
        media_id,
        uploader: parse_id(uploader, "user id")?,
        created_ts: to_u64(created_ts)?,
        content,
        expires_ts: expires_ts.map(to_u64).transpose()?,
        quarantined,
    })
}

/// Bytes already stored for a user, inside the caller's transaction.
fn usage(tx: &Connection, user_id: &str) -> Result<u64> {
    let used: i64 = tx
        .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM media WHERE uploader = ?1")
        .and_then(|mut stmt| stmt.query_row([user_id], |r| r.get(0)))
        .map_err(backend)?;
    to_u64(used)
}

fn within_quota(used: u64, size: u64, quota: u64) -> bool {
    used.checked_add(size).is_some_and(|total| total <= quota)
}

fn blob_used(tx: &Connection, sha256: &str) -> Result<bool> {
    tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?1)")
        .and_then(|mut stmt| stmt.query_row([sha256], |r| r.get(0)))
        .map_err(backend)
}

impl MediaStore for SqliteStore {
    fn insert_media(&self, media: &MediaRecord, quota_bytes: u64) -> Result<bool> {
        let size = media.content.as_ref().map_or(0, |c| c.size);
        let (created, size_i64) = (to_i64(media.created_ts)?, to_i64(size)?);
        let expires = media.expires_ts.map(to_i64).transpose()?;
        self.write(|tx| {
            if !within_quota(usage(tx, media.uploader.as_str())?, size, quota_bytes) {
                return Ok(false);
            }
            let content = media.content.as_ref();
            tx.prepare_cached(
                "INSERT INTO media (media_id, uploader, created_ts, sha256, size, content_type, file_name,
                     expires_ts, quarantined)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    media.media_id,
                    media.uploader.as_str(),
                    created,
                    content.map(|c| c.sha256.as_str()),
                    size_i64,
                    content.map(|c| c.content_type.as_str()),
                    content.and_then(|c| c.file_name.as_deref()),
                    expires,
                    media.quarantined
                ])
            })
            .map_err(backend)?;
            Ok(true)
        })
    }

    fn complete_media(
        &self,
        media_id: &str,
        uploader: &UserId,
        content: &MediaContent,
        quota_bytes: u64,
        now_ms: u64,
    ) -> Result<CompleteUpload> {
        let (size, now) = (to_i64(content.size)?, to_i64(now_ms)?);
        self.write(|tx| {
            let row: Option<(String, Option<String>, Option<i64>)> = tx
                .prepare_cached("SELECT uploader, sha256, expires_ts FROM media WHERE media_id = ?1")
                .and_then(|mut stmt| stmt.query_row([media_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
                .map_err(backend)?;
            let Some((owner, sha256, expires)) = row else { return Ok(CompleteUpload::NotFound) };
            if owner != uploader.as_str() {
                return Ok(CompleteUpload::NotOwner);
            }
            if sha256.is_some() {
                return Ok(CompleteUpload::AlreadyUploaded);
            }
            if expires.is_some_and(|expires| expires <= now) {
                return Ok(CompleteUpload::NotFound);
            }
            if !within_quota(usage(tx, uploader.as_str())?, content.size, quota_bytes) {
                return Ok(CompleteUpload::OverQuota);
            }
            tx.prepare_cached(
                "UPDATE media SET sha256 = ?2, size = ?3, content_type = ?4, file_name = ?5, expires_ts = NULL
                 WHERE media_id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![media_id, content.sha256, size, content.content_type, content.file_name])
            })
            .map_err(backend)?;
            Ok(CompleteUpload::Completed)
        })
    }

    fn get_media(&self, media_id: &str) -> Result<Option<MediaRecord>> {
        let row = self.read(|tx| {
            tx.prepare_cached(&format!("SELECT {MEDIA_COLUMNS} FROM media WHERE media_id = ?1"))
                .and_then(|mut stmt| stmt.query_row([media_id], read_row).optional())
                .map_err(backend)
        })?;
        row.map(record).transpose()
    }

    fn media_links(&self, media_id: &str) -> Result<Vec<MediaLink>> {
        let rows: Vec<(String, String)> = self.read(|tx| {
            tx.prepare_cached("SELECT event_id, room_id FROM media_links WHERE media_id = ?1")
                .and_then(|mut stmt| {
                    stmt.query_map([media_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(event_id, room_id)| {
                Ok(MediaLink { event_id: parse_id(event_id, "event id")?, room_id: parse_id(room_id, "room id")? })
            })
            .collect()
    }

    fn media_usage(&self, user_id: &UserId) -> Result<u64> {
        self.read(|tx| usage(tx, user_id.as_str()))
    }

    fn pending_media_count(&self, user_id: &UserId, now_ms: u64) -> Result<u64> {
        let now = to_i64(now_ms)?;
        let count: i64 = self.read(|tx| {
            tx.prepare_cached("SELECT COUNT(*) FROM media WHERE uploader = ?1 AND sha256 IS NULL AND expires_ts > ?2")
                .and_then(|mut stmt| stmt.query_row(params![user_id.as_str(), now], |r| r.get(0)))
                .map_err(backend)
        })?;
        to_u64(count)
    }

    fn user_media(&self, user_id: &UserId, from: u64, limit: u64) -> Result<(Vec<MediaRecord>, u64)> {
        let (from, limit) = (to_i64(from)?, to_i64(limit)?);
        let (rows, total) = self.read(|tx| {
            let rows = tx
                .prepare_cached(&format!(
                    "SELECT {MEDIA_COLUMNS} FROM media WHERE uploader = ?1
                     ORDER BY created_ts DESC, media_id LIMIT ?2 OFFSET ?3"
                ))
                .and_then(|mut stmt| {
                    stmt.query_map(params![user_id.as_str(), limit, from], read_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)?;
            let total: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM media WHERE uploader = ?1")
                .and_then(|mut stmt| stmt.query_row([user_id.as_str()], |r| r.get(0)))
                .map_err(backend)?;
            Ok((rows, total))
        })?;
        Ok((rows.into_iter().map(record).collect::<Result<_>>()?, to_u64(total)?))
    }

    fn set_media_quarantined(&self, media_id: &str, quarantined: bool) -> Result<bool> {
        self.write(|tx| {
            let changed = tx
                .prepare_cached("UPDATE media SET quarantined = ?2 WHERE media_id = ?1")
                .and_then(|mut stmt| stmt.execute(params![media_id, quarantined]))
                .map_err(backend)?;
            Ok(changed > 0)
        })
    }

    fn delete_media(&self, media_id: &str) -> Result<Option<Option<String>>> {
        self.write(|tx| {
            let sha256: Option<Option<String>> = tx
                .prepare_cached("DELETE FROM media WHERE media_id = ?1 RETURNING sha256")
                .and_then(|mut stmt| stmt.query_row([media_id], |r| r.get(0)).optional())
                .map_err(backend)?;
            let Some(sha256) = sha256 else { return Ok(None) };
            let Some(sha256) = sha256 else { return Ok(Some(None)) };
            let still_used = blob_used(tx, &sha256)?;
            Ok(Some((!still_used).then_some(sha256)))
        })
    }

    fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        self.read(|tx| blob_used(tx, sha256))
    }
}
