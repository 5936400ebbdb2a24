//! The media repository's records: who uploaded which file, where its bytes are (by content
//! hash), and which events reference it.
//!
//! The bytes themselves live in a blob store (see `rempart-media`), addressed by their SHA-256:
//! identical uploads share one blob, so deleting a record only frees the blob when no other
//! record points at it. Links from events to files are written by
//! [`RoomStore::append_events`](crate::RoomStore::append_events) in the same transaction as the
//! event, from [`NewEvent::media_links`](crate::NewEvent::media_links).

use ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId};

use crate::Result;

/// What an uploaded file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaContent {
    /// Lower-case hex SHA-256 of the bytes: the blob's address.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The content type served with it (sniffed at upload).
    pub content_type: String,
    /// The file name the uploader gave, if any.
    pub file_name: Option<String>,
}

/// A file of the media repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    /// The media id (the path part of `mxc://server/id`).
    pub media_id: String,
    /// Who uploaded it (or reserved the id).
    pub uploader: OwnedUserId,
    /// When, in milliseconds since the epoch.
    pub created_ts: u64,
    /// The content; `None` while an asynchronous upload has reserved the id but not sent it.
    pub content: Option<MediaContent>,
    /// For a reserved id, when the reservation lapses.
    pub expires_ts: Option<u64>,
    /// Quarantined files are served to no one.
    pub quarantined: bool,
}

/// An event that references a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLink {
    /// The event.
    pub event_id: OwnedEventId,
    /// Its room.
    pub room_id: OwnedRoomId,
}

/// Why completing an asynchronous upload did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteUpload {
    /// The content is now attached to the reserved id.
    Completed,
    /// No such id, or its reservation lapsed.
    NotFound,
    /// Someone else reserved the id.
    NotOwner,
    /// The id already has content.
    AlreadyUploaded,
    /// The uploader's quota would be exceeded.
    OverQuota,
}

/// Media records.
pub trait MediaStore {
    /// Records a new file (or, with `content: None`, reserves an id). Returns `false`, writing
    /// nothing, when the uploader's stored bytes plus this file would exceed `quota_bytes`. An
    /// id already in use is a `Conflict`.
    fn insert_media(&self, record: &MediaRecord, quota_bytes: u64) -> Result<bool>;

    /// Attaches content to an id reserved by `uploader` whose reservation has not lapsed at
    /// `now_ms`, within the uploader's quota.
    fn complete_media(
        &self,
        media_id: &str,
        uploader: &UserId,
        content: &MediaContent,
        quota_bytes: u64,
        now_ms: u64,
    ) -> Result<CompleteUpload>;

    /// One file's record.
    fn get_media(&self, media_id: &str) -> Result<Option<MediaRecord>>;

    /// The events that reference a file.
    fn media_links(&self, media_id: &str) -> Result<Vec<MediaLink>>;

    /// Bytes stored for a user's uploads.
    fn media_usage(&self, user_id: &UserId) -> Result<u64>;

    /// Reserved ids of a user still waiting for their content at `now_ms`.
    fn pending_media_count(&self, user_id: &UserId, now_ms: u64) -> Result<u64>;

    /// A user's files, newest first, skipping `from` and returning at most `limit`; and how many
    /// there are in all.
    fn user_media(&self, user_id: &UserId, from: u64, limit: u64) -> Result<(Vec<MediaRecord>, u64)>;

    /// Quarantines a file or lifts the quarantine; returns whether the file exists.
    fn set_media_quarantined(&self, media_id: &str, quarantined: bool) -> Result<bool>;

    /// Deletes a file's record and its links. `None` when there was no such file; otherwise
    /// the blob hash no record uses any more, which the caller removes from the blob store.
    fn delete_media(&self, media_id: &str) -> Result<Option<Option<String>>>;

    /// Whether any record uses this blob.
    fn blob_in_use(&self, sha256: &str) -> Result<bool>;
}
