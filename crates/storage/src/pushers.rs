//! Pushers (`/pushers`): where a user's notifications are to be pushed, one per application
//! and pushkey.
//!
//! A user has at most one pusher per `(app_id, pushkey)`; setting it again replaces every field,
//! the owning device included. Each pusher belongs to the device whose access token set it and
//! is deleted with that device (logout, device deletion, deactivation). Several users may hold a
//! pusher with the same `(app_id, pushkey)` only when it was set with `append`; otherwise
//! setting one takes it away from every other user.

use ruma::{OwnedDeviceId, OwnedUserId, UserId};

use crate::Result;

/// A pusher as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PusherRecord {
    /// The owner.
    pub user_id: OwnedUserId,
    /// The device whose access token set it; the pusher goes with that device.
    pub device_id: OwnedDeviceId,
    /// Reverse-DNS identifier of the application.
    pub app_id: String,
    /// The application's identifier for the device (a push token, an email address ...).
    pub pushkey: String,
    /// `http` or `email`; the storage does not interpret it.
    pub kind: String,
    /// Shown to the user to identify the application.
    pub app_display_name: String,
    /// Shown to the user to identify the device.
    pub device_display_name: String,
    /// Which set of device-specific push rules applies.
    pub profile_tag: Option<String>,
    /// Preferred language of notifications.
    pub lang: String,
    /// The pusher's `data` object (gateway `url`, `format`, anything else the client sent).
    pub data: serde_json::Value,
}

/// Pusher storage.
pub trait PusherStore {
    /// Creates the user's pusher for `(app_id, pushkey)` or replaces it, every field and the
    /// owning device included. Unless `append`, first deletes the pushers of other users with
    /// the same `(app_id, pushkey)`, in the same transaction.
    ///
    /// Returns `false`, writing nothing, when the device does not exist (any more).
    fn set_pusher(&self, pusher: &PusherRecord, append: bool) -> Result<bool>;

    /// Deletes the user's pusher for `(app_id, pushkey)`; returns whether there was one.
    fn delete_pusher(&self, user_id: &UserId, app_id: &str, pushkey: &str) -> Result<bool>;

    /// The user's pushers, ordered by `app_id` then `pushkey`.
    fn pushers(&self, user_id: &UserId) -> Result<Vec<PusherRecord>>;
}
