//! Per-user and per-room data that sync delivers by stream position: account data, receipts,
//! filters, presence.

use ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};

use crate::Result;

/// Account data as stored.
#[derive(Debug, Clone)]
pub struct AccountDataRecord {
    /// Room for room account data, `None` for global.
    pub room_id: Option<OwnedRoomId>,
    /// Event type.
    pub kind: String,
    /// Content.
    pub content: serde_json::Value,
    /// Stream position of the last change.
    pub stream: i64,
}

/// A read receipt.
#[derive(Debug, Clone)]
pub struct ReceiptRecord {
    /// Room.
    pub room_id: OwnedRoomId,
    /// Reader.
    pub user_id: OwnedUserId,
    /// `m.read` or `m.read.private`.
    pub receipt_type: String,
    /// Thread, for threaded receipts (`main` or a thread root id).
    pub thread_id: Option<String>,
    /// The event read up to.
    pub event_id: OwnedEventId,
    /// When.
    pub ts: u64,
    /// Stream position.
    pub stream: i64,
}

/// A user's presence: `(presence, status_msg, last_active_ts, stream)`.
pub type PresenceState = (String, Option<String>, u64, i64);

/// A presence change: `(user, presence, status_msg, last_active_ts, stream)`.
pub type PresenceUpdate = (OwnedUserId, String, Option<String>, u64, i64);

/// Stream-ordered per-user data.
pub trait StreamStore {
    /// The newest stream position handed out.
    fn max_stream(&self) -> Result<i64>;

    /// Sets (or with `Null` content, clears) account data; returns its stream position.
    fn put_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
        content: &serde_json::Value,
    ) -> Result<i64>;
    /// One account data entry.
    fn get_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
    ) -> Result<Option<serde_json::Value>>;
    /// Account data changed after `since`.
    fn account_data_since(&self, user_id: &UserId, since: i64) -> Result<Vec<AccountDataRecord>>;

    /// Records a receipt, replacing the user's previous one of the same type and thread.
    fn put_receipt(&self, receipt: &ReceiptRecord) -> Result<i64>;
    /// Receipts in a room newer than `since`.
    fn receipts_since(&self, room_id: &RoomId, since: i64) -> Result<Vec<ReceiptRecord>>;

    /// Stores a filter definition and returns its id.
    fn create_filter(&self, user_id: &UserId, filter: &serde_json::Value) -> Result<String>;
    /// A stored filter.
    fn get_filter(&self, user_id: &UserId, filter_id: &str) -> Result<Option<serde_json::Value>>;

    /// Sets presence; returns its stream position.
    fn put_presence(&self, user_id: &UserId, presence: &str, status_msg: Option<&str>, now: u64) -> Result<i64>;
    /// `(presence, status_msg, last_active_ts, stream)` of a user.
    fn get_presence(&self, user_id: &UserId) -> Result<Option<PresenceState>>;
    /// The newest stream position of any presence change (0 when there is none).
    fn latest_presence_stream(&self) -> Result<i64>;
    /// Presence of the given users changed after `since`.
    fn presence_since(&self, user_ids: &[OwnedUserId], since: i64) -> Result<Vec<PresenceUpdate>>;
}
