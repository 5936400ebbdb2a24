//! The media repository: uploads (direct and asynchronous) within size, quota and rate limits,
//! downloads and thumbnails through the one access rule in [`access`], the links from events to
//! files ([`links`]), and the operators' quarantine and deletion.
//!
//! Bytes go to a [`BlobStore`] addressed by their SHA-256, records to the database. An upload
//! becomes visible only once its blob is durable and its record committed; a crash before
//! leaves at most an unreferenced blob, never a record without its bytes.

pub mod access;
pub mod links;

use std::{sync::Arc, time::Duration};

use rempart_media::{
    blobs::{BlobError, BlobStore, BlobWriter},
    names, sniff,
    thumbnail::{self, Method},
};
use rempart_storage::{CompleteUpload, MediaContent, MediaRecord, Storage};
use rempart_types::{config::Config, time::now_millis};
use ruma::{ServerName, UserId};

pub use access::Grant;

use crate::{
    CoreError, Result,
    accounts::Identity,
    audit::{AuditEvent, AuditSink},
    ratelimit::RateLimiter,
};

/// How many leading bytes of an upload are kept for content sniffing.
const SNIFF_BYTES: usize = 512;
/// The longest a download may wait for an asynchronous upload to arrive.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// A file as served.
#[derive(Debug)]
pub struct MediaFile {
    /// The content.
    pub body: MediaBody,
    /// Its content type.
    pub content_type: String,
    /// The uploader's file name, if any.
    pub file_name: Option<String>,
}

/// A file's content as served.
#[derive(Debug)]
pub enum MediaBody {
    /// Small content held in memory (thumbnails).
    Bytes(Vec<u8>),
    /// A stored file, opened, to be streamed.
    File {
        /// The open file.
        file: std::fs::File,
        /// Its length in bytes.
        len: u64,
    },
}

/// An upload in progress: bytes stream into a temporary blob within the size limit.
pub struct Upload {
    writer: Box<dyn BlobWriter>,
    head: Vec<u8>,
    limit: u64,
}

impl Upload {
    /// Appends a chunk of the body; `M_TOO_LARGE` as soon as the limit is passed, so an
    /// oversized body is never read whole.
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let len = self.writer.len().saturating_add(chunk.len() as u64);
        if len > self.limit {
            return Err(CoreError::TooLarge(format!("files are limited to {} bytes", self.limit)));
        }
        if self.head.len() < SNIFF_BYTES {
            let take = chunk.len().min(SNIFF_BYTES - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.writer.write(chunk).map_err(blob_error)
    }
}

/// What the uploader says about a file.
#[derive(Debug, Default)]
pub struct UploadMeta {
    /// The `Content-Type` header.
    pub declared_type: Option<String>,
    /// The `filename` query parameter.
    pub file_name: Option<String>,
}

/// The media service.
pub struct Media {
    store: Arc<dyn Storage>,
    blobs: Arc<dyn BlobStore>,
    config: Arc<Config>,
    audit: Arc<dyn AuditSink>,
    upload_limiter: RateLimiter,
    /// Serialises making a blob used (finishing an upload and recording it) against freeing one
    /// (deleting the last record that used it): otherwise an identical upload landing between
    /// the two would be recorded over a blob that is then removed.
    blob_lock: tokio::sync::Mutex<()>,
    /// Wakes downloads waiting for an asynchronous upload.
    uploaded: tokio::sync::Notify,
    /// Bounds concurrent thumbnail generation to the number of cores.
    thumbnail_permits: tokio::sync::Semaphore,
}

fn blob_error(error: BlobError) -> CoreError {
    CoreError::Internal(format!("media storage: {error}"))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| CoreError::Internal(format!("media task failed: {e}")))
}

impl Media {
    /// Builds the service.
    pub fn new(
        store: Arc<dyn Storage>,
        blobs: Arc<dyn BlobStore>,
        config: Arc<Config>,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        let upload_limiter =
            RateLimiter::new(config.rate_limits.enabled, config.media.uploads_per_second, config.media.upload_burst);
        Self {
            store,
            blobs,
            config,
            audit,
            upload_limiter,
            blob_lock: tokio::sync::Mutex::new(()),
            uploaded: tokio::sync::Notify::new(),
            thumbnail_permits: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            ),
        }
    }

    fn server_name(&self) -> &ServerName {
        &self.config.server_name
    }

    /// Refuses a client-supplied file name the server will not store.
    pub fn check_file_name(name: &str) -> Result<()> {
        names::validate_file_name(name).map_err(|e| CoreError::InvalidParam(format!("invalid file name: {e}")))
    }

    fn over_quota(&self) -> CoreError {
        CoreError::TooLarge(format!(
            "this upload would exceed your storage quota of {} bytes",
            self.config.media.user_quota_bytes
        ))
    }

    /// Checks everything that can be checked before the body is read (suspension, rate limit,
    /// declared size, quota) and opens a temporary blob for it.
    pub fn start_upload(&self, identity: &Identity, declared_len: Option<u64>) -> Result<Upload> {
        identity.ensure_can_write()?;
        self.upload_limiter.check(identity.user_id.as_str())?;
        let limit = self.config.media.max_upload_bytes;
        if let Some(len) = declared_len {
            if len > limit {
                return Err(CoreError::TooLarge(format!("files are limited to {limit} bytes")));
            }
            let used = self.store.media_usage(&identity.user_id)?;
            if used.saturating_add(len) > self.config.media.user_quota_bytes {
                return Err(self.over_quota());
            }
        }
        Ok(Upload { writer: self.blobs.begin().map_err(blob_error)?, head: Vec::new(), limit })
    }

    /// Makes the upload's blob durable and describes it.
    async fn finish_blob(upload: Upload, meta: UploadMeta) -> Result<MediaContent> {
        let Upload { writer, head, .. } = upload;
        let info = blocking(move || writer.finish()).await?.map_err(blob_error)?;
        Ok(MediaContent {
            sha256: info.sha256,
            size: info.size,
            content_type: sniff::content_type(meta.declared_type.as_deref(), &head),
            file_name: meta.file_name,
        })
    }

    /// Makes an upload's blob durable and records it under a new media id; returns the
    /// `mxc://` URI.
    pub async fn finish_upload(&self, identity: &Identity, upload: Upload, meta: UploadMeta) -> Result<String> {
        let _blobs = self.blob_lock.lock().await;
        let content = Self::finish_blob(upload, meta).await?;
        let media_id = names::new_media_id();
        let record = MediaRecord {
            media_id: media_id.clone(),
            uploader: identity.user_id.clone(),
            created_ts: now_millis(),
            content: Some(content),
            expires_ts: None,
            quarantined: false,
        };
        if !self.store.insert_media(&record, self.config.media.user_quota_bytes)? {
            self.discard_if_unused(&record.content.map(|c| c.sha256).unwrap_or_default()).await?;
            return Err(self.over_quota());
        }
        Ok(access::mxc_uri(self.server_name(), &media_id))
    }

    /// Removes a blob that a refused upload wrote and no record uses. Called under
    /// `blob_lock`.
    async fn discard_if_unused(&self, sha256: &str) -> Result<()> {
        if sha256.is_empty() || self.store.blob_in_use(sha256)? {
            return Ok(());
        }
        let (blobs, sha256) = (Arc::clone(&self.blobs), sha256.to_owned());
        blocking(move || blobs.delete(&sha256)).await?.map_err(blob_error)
    }

    /// Reserves a media id for an asynchronous upload; returns the URI and when the reservation
    /// lapses (milliseconds since the epoch).
    pub fn reserve(&self, identity: &Identity) -> Result<(String, u64)> {
        identity.ensure_can_write()?;
        self.upload_limiter.check(identity.user_id.as_str())?;
        let now = now_millis();
        if self.store.pending_media_count(&identity.user_id, now)? >= self.config.media.max_pending_uploads {
            // The spec's answer to too many pending uploads.
            return Err(CoreError::LimitExceeded { retry_after_ms: 60_000 });
        }
        let expires = now.saturating_add(self.config.media.pending_upload_lifetime_secs.saturating_mul(1000));
        let media_id = names::new_media_id();
        let record = MediaRecord {
            media_id: media_id.clone(),
            uploader: identity.user_id.clone(),
            created_ts: now,
            content: None,
            expires_ts: Some(expires),
            quarantined: false,
        };
        self.store.insert_media(&record, u64::MAX)?;
        Ok((access::mxc_uri(self.server_name(), &media_id), expires))
    }

    /// Checks, before the body is read, that `media_id` is a reservation of this user still
    /// waiting for its content.
    pub fn check_reservation(&self, identity: &Identity, server_name: &ServerName, media_id: &str) -> Result<()> {
        let media = self.local_record(server_name, media_id)?;
        if media.uploader != identity.user_id {
            return Err(CoreError::Forbidden("this media id was reserved by another user".into()));
        }
        if media.content.is_some() {
            return Err(CoreError::CannotOverwriteMedia);
        }
        if media.expires_ts.is_some_and(|expires| expires <= now_millis()) {
            return Err(CoreError::NotFound("this media id's reservation has lapsed".into()));
        }
        Ok(())
    }

    /// Completes an asynchronous upload.
    pub async fn finish_reserved(
        &self,
        identity: &Identity,
        media_id: &str,
        upload: Upload,
        meta: UploadMeta,
    ) -> Result<()> {
        let _blobs = self.blob_lock.lock().await;
        let content = Self::finish_blob(upload, meta).await?;
        let sha256 = content.sha256.clone();
        let outcome = self.store.complete_media(
            media_id,
            &identity.user_id,
            &content,
            self.config.media.user_quota_bytes,
            now_millis(),
        )?;
        if outcome != CompleteUpload::Completed {
            self.discard_if_unused(&sha256).await?;
        }
        match outcome {
            CompleteUpload::Completed => {
                self.uploaded.notify_waiters();
                Ok(())
            }
            CompleteUpload::NotFound => Err(CoreError::NotFound("no such media id, or its reservation lapsed".into())),
            CompleteUpload::NotOwner => Err(CoreError::Forbidden("this media id was reserved by another user".into())),
            CompleteUpload::AlreadyUploaded => Err(CoreError::CannotOverwriteMedia),
            CompleteUpload::OverQuota => Err(self.over_quota()),
        }
    }

    /// A local file's record; other servers' files and unknown ids are `M_NOT_FOUND`.
    fn local_record(&self, server_name: &ServerName, media_id: &str) -> Result<MediaRecord> {
        if !names::is_valid_media_id(media_id) {
            return Err(CoreError::InvalidParam("malformed media id".into()));
        }
        let not_found = || CoreError::NotFound("no such file".into());
        if server_name != self.server_name() {
            return Err(not_found());
        }
        self.store.get_media(media_id)?.ok_or_else(not_found)
    }

    /// Finds a file the viewer may read, waiting up to `wait` for an asynchronous upload's
    /// content. Anything the viewer may not read is `M_NOT_FOUND`, exactly as a file that does
    /// not exist.
    async fn readable(
        &self,
        viewer: &Identity,
        server_name: &ServerName,
        media_id: &str,
        wait: Duration,
    ) -> Result<(MediaContent, Grant)> {
        let deadline = tokio::time::Instant::now() + wait.min(MAX_WAIT);
        loop {
            // Registered before the lookup, so an upload finishing in between still wakes us.
            let uploaded = self.uploaded.notified();
            let media = self.local_record(server_name, media_id)?;
            let grant = access::grant(self.store.as_ref(), self.server_name(), &viewer.user_id, &media)?
                .ok_or_else(|| CoreError::NotFound("no such file".into()))?;
            if let Some(content) = media.content {
                return Ok((content, grant));
            }
            if media.expires_ts.is_some_and(|expires| expires <= now_millis()) {
                return Err(CoreError::NotFound("no such file".into()));
            }
            if tokio::time::timeout_at(deadline, uploaded).await.is_err() {
                return Err(CoreError::NotYetUploaded);
            }
        }
    }

    fn record_read(&self, viewer: &Identity, media_id: &str, bytes: u64, grant: &Grant, thumbnail: bool) {
        self.audit.record(&AuditEvent::MediaRead {
            user_id: &viewer.user_id,
            device_id: &viewer.device_id,
            media_id,
            bytes,
            grant,
            thumbnail,
        });
    }

    /// Downloads a file.
    pub async fn download(
        &self,
        viewer: &Identity,
        server_name: &ServerName,
        media_id: &str,
        wait: Duration,
    ) -> Result<MediaFile> {
        let (content, grant) = self.readable(viewer, server_name, media_id, wait).await?;
        let blobs = Arc::clone(&self.blobs);
        let sha256 = content.sha256.clone();
        let (file, len) = blocking(move || blobs.open(&sha256)).await?.map_err(blob_error)?.ok_or_else(|| {
            CoreError::Internal(format!("the bytes of media {media_id} ({}) are missing", content.sha256))
        })?;
        self.record_read(viewer, media_id, len, &grant, false);
        Ok(MediaFile {
            body: MediaBody::File { file, len },
            content_type: content.content_type,
            file_name: content.file_name,
        })
    }

    /// A thumbnail of an image, from the cache or generated (and cached).
    pub async fn thumbnail(
        &self,
        viewer: &Identity,
        server_name: &ServerName,
        media_id: &str,
        requested: (u32, u32, Method),
        wait: Duration,
    ) -> Result<MediaFile> {
        let (width, height, method) = requested;
        if width == 0 || height == 0 {
            return Err(CoreError::InvalidParam("thumbnail width and height must be positive".into()));
        }
        let (content, grant) = self.readable(viewer, server_name, media_id, wait).await?;
        if !thumbnail::can_thumbnail(&content.content_type) {
            return Err(CoreError::NotFound("no thumbnail can be made of this file".into()));
        }
        let size = thumbnail::choose_size(width, height, method);
        let blobs = Arc::clone(&self.blobs);
        let sha256 = content.sha256.clone();
        // Decoding may take a core and up to the decode limit's memory: one per core at a time.
        let _permit = self
            .thumbnail_permits
            .acquire()
            .await
            .map_err(|_| CoreError::Internal("thumbnail permits closed".into()))?;
        let made = blocking(move || -> std::result::Result<Option<thumbnail::Thumbnail>, BlobError> {
            let key = size.cache_key();
            if let Some(bytes) = blobs.read_thumbnail(&sha256, &key)? {
                let content_type = if bytes.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
                return Ok(Some(thumbnail::Thumbnail { bytes, content_type }));
            }
            let Some(source) = blobs.read(&sha256)? else { return Ok(None) };
            match thumbnail::thumbnail(&source, size) {
                Ok(made) => {
                    blobs.write_thumbnail(&sha256, &key, &made.bytes)?;
                    Ok(Some(made))
                }
                Err(error) => {
                    tracing::debug!(%error, "cannot make a thumbnail");
                    Ok(None)
                }
            }
        })
        .await?
        .map_err(blob_error)?
        .ok_or_else(|| CoreError::NotFound("no thumbnail can be made of this file".into()))?;
        self.record_read(viewer, media_id, made.bytes.len() as u64, &grant, true);
        Ok(MediaFile {
            body: MediaBody::Bytes(made.bytes),
            content_type: made.content_type.to_owned(),
            file_name: None,
        })
    }

    /// Quarantines a file (served to no one) or lifts it. `actor` is recorded.
    pub fn set_quarantined(&self, actor: &str, media_id: &str, quarantined: bool) -> Result<()> {
        if !self.store.set_media_quarantined(media_id, quarantined)? {
            return Err(CoreError::NotFound("no such file".into()));
        }
        let action = if quarantined { "media.quarantine" } else { "media.unquarantine" };
        self.audit.record(&AuditEvent::AdminAction { actor, action, target: media_id });
        Ok(())
    }

    /// Deletes a file: its record and links, and its bytes unless an identical upload still
    /// uses them.
    pub async fn delete(&self, actor: &str, media_id: &str) -> Result<()> {
        let _blobs = self.blob_lock.lock().await;
        let freed = self.store.delete_media(media_id)?.ok_or_else(|| CoreError::NotFound("no such file".into()))?;
        self.audit.record(&AuditEvent::AdminAction { actor, action: "media.delete", target: media_id });
        if let Some(sha256) = freed {
            let blobs = Arc::clone(&self.blobs);
            blocking(move || blobs.delete(&sha256)).await?.map_err(blob_error)?;
        }
        Ok(())
    }

    /// A user's files, newest first, and how many there are.
    pub fn user_media(&self, user_id: &UserId, from: u64, limit: u64) -> Result<(Vec<MediaRecord>, u64)> {
        Ok(self.store.user_media(user_id, from, limit)?)
    }

    /// The largest upload accepted, for `/media/config`.
    pub fn max_upload_bytes(&self) -> u64 {
        self.config.media.max_upload_bytes
    }
}
