//! The storage port: one repository trait per domain, implemented by every backend
//! (`rempart-storage-sqlite` today, PostgreSQL later), plus the conformance suite in
//! [`conformance`] that each backend runs against itself.
//!
//! Methods are synchronous and each one is a single transaction: a method that writes several
//! rows either writes all of them or none. Callers never hold a transaction open across an
//! `await`, which is what makes "killing the server at any moment loses nothing acknowledged"
//! hold.

pub mod accounts;
pub mod backup;
pub mod conformance;
pub mod keys;
pub mod media;
pub mod pushers;
pub mod rooms;
pub mod sessions;
pub mod streams;
pub mod to_device;

pub use accounts::{
    AccountFlag, AccountStatus, AccountStore, DeviceRecord, EndSessions, NewUser, SessionRecord, UserRecord,
};
pub use backup::BackupStore;
pub use keys::KeyStore;
pub use media::{CompleteUpload, MediaContent, MediaLink, MediaRecord, MediaStore};
pub use pushers::{PusherRecord, PusherStore};
pub use rooms::{
    Membership, MembershipRecord, NewEvent, NewRoom, Redaction, RoomOverview, RoomRecord, RoomStore, StoredEvent,
};
pub use sessions::{LAST_SEEN_GRANULARITY_MS, SessionHistoryStore, SessionUse};
pub use streams::{AccountDataRecord, PresenceState, PresenceUpdate, ReceiptRecord, StreamStore};
pub use to_device::ToDeviceStore;

/// Several reads that must see one state of the database.
pub trait Snapshots {
    /// Runs `reads` with every read this store serves on the current thread taken from one
    /// read transaction: they all see the database as it was when the first of them ran,
    /// whatever commits meanwhile (writes made inside `reads` included), and they skip the
    /// cost of a transaction each. `reads` must not block on other readers of the store.
    fn snapshot(&self, reads: &mut dyn FnMut() -> Result<()>) -> Result<()>;
}

/// Everything a backend provides.
pub trait Storage:
    AccountStore
    + RoomStore
    + StreamStore
    + KeyStore
    + ToDeviceStore
    + BackupStore
    + PusherStore
    + MediaStore
    + SessionHistoryStore
    + Snapshots
    + Send
    + Sync
    + 'static
{
}

impl<T> Storage for T where
    T: AccountStore
        + RoomStore
        + StreamStore
        + KeyStore
        + ToDeviceStore
        + BackupStore
        + PusherStore
        + MediaStore
        + SessionHistoryStore
        + Snapshots
        + Send
        + Sync
        + 'static
{
}

/// Storage failures, mapped to Matrix errors at the HTTP edge.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A uniqueness rule would be broken (user id taken, alias in use, ...).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database refused or failed the operation.
    #[error("database error: {0}")]
    Backend(String),
    /// Stored data could not be decoded; indicates corruption or a bug.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

/// Result alias for storage operations.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
