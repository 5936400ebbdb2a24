//! Rempart's services: the use cases behind the client API, independent of HTTP and of the
//! storage backend. Each service gets its dependencies passed in; [`Services`] wires them.

pub mod account_admin;
pub mod account_data;
pub mod accounts;
pub mod audit;
pub mod backup;
pub mod devices;
pub mod directory;
mod error;
pub mod events;
pub mod filter;
pub mod keys;
pub mod login_protection;
pub mod media;
pub mod notices;
pub mod notifier;
pub mod password_policy;
pub mod password_work;
pub mod presence;
pub mod profile;
pub mod push;
pub mod pushers;
pub mod ratelimit;
pub mod read_budget;
pub mod receipts;
pub mod room_admin;
pub mod rooms;
pub mod shared_secret;
pub mod signing;
pub mod sync;
pub mod to_device;
pub mod typing;
pub mod uia;
pub mod user_directory;

use std::sync::Arc;

pub use error::{CoreError, Result};
use rempart_media::blobs::BlobStore;
use rempart_storage::Storage;
use rempart_types::config::Config;
use ruma::signatures::Ed25519KeyPair;

/// Every service of a running shard.
pub struct Services {
    /// Configuration.
    pub config: Arc<Config>,
    /// Accounts and sessions.
    pub accounts: accounts::Accounts,
    /// User-interactive authentication.
    pub uia: uia::Uia,
    /// Rooms and events.
    pub rooms: rooms::Rooms,
    /// The media repository.
    pub media: media::Media,
    /// Where accesses worth knowing about are recorded.
    pub audit: Arc<dyn audit::AuditSink>,
    /// Typing notifications.
    pub typing: Arc<typing::Typing>,
    /// Wakes long-polling syncs.
    pub notifier: Arc<notifier::Notifier>,
    /// Write rate limits.
    pub rate_limiter: ratelimit::RateLimiter,
    /// Notification counts already evaluated, per user and room.
    pub unread_tallies: push::UnreadTallies,
    /// Effective push rules per user.
    pub push_rules_cache: push::PushRulesCache,
    /// Write rate limits per client address, for signed-in requests.
    pub address_rate_limiter: ratelimit::RateLimiter,
    /// Server notices.
    pub notices: notices::Notices,
    /// Outcomes of recent room deletions, for the admin API's status endpoints.
    pub room_deletions: room_admin::RoomDeletions,
    /// Brute-force protection of password checks.
    pub login_protection: login_protection::LoginProtection,
    /// Per-account budget of user-directory searches and profile lookups.
    pub read_budget: read_budget::ReadBudget,
    /// Nonces of shared-secret registration.
    pub shared_secret: shared_secret::SharedSecretRegistration,
    /// Serialises read-modify-write updates of account data documents (push rules, tags), so
    /// that two concurrent changes (Element mutes a room with a delete and an add at once)
    /// cannot overwrite each other.
    account_data_updates: std::sync::Mutex<()>,
    /// Per-user streams: account data, receipts, presence, filters, profiles.
    pub store: Arc<dyn Storage>,
}

impl Services {
    /// Runs a read-modify-write of account data under [`Self::account_data_updates`].
    pub(crate) fn update_account_data_document<T>(&self, update: impl FnOnce() -> Result<T>) -> Result<T> {
        let _guard = self.account_data_updates.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        update()
    }

    /// Runs `reads` against one snapshot of the store (see
    /// [`rempart_storage::Snapshots::snapshot`]): a response assembled from many reads is
    /// consistent, and cheaper.
    pub(crate) fn in_snapshot<T>(&self, reads: impl FnOnce() -> Result<T>) -> Result<T> {
        let mut reads = Some(reads);
        let mut outcome = None;
        self.store.snapshot(&mut || {
            if let Some(reads) = reads.take() {
                outcome = Some(reads());
            }
            Ok(())
        })?;
        outcome.unwrap_or_else(|| Err(CoreError::Internal("a storage snapshot did not run its reads".into())))
    }

    /// Wires the services over a storage backend, a blob store for media, the shard's signing
    /// key and an audit sink.
    pub fn new(
        config: Config,
        store: Arc<dyn Storage>,
        blobs: Arc<dyn BlobStore>,
        key: Ed25519KeyPair,
        audit: Arc<dyn audit::AuditSink>,
    ) -> Arc<Self> {
        let config = Arc::new(config);
        let notifier = Arc::new(notifier::Notifier::default());
        Arc::new(Self {
            accounts: accounts::Accounts::new(Arc::clone(&store), Arc::clone(&config), Arc::clone(&notifier)),
            uia: uia::Uia::default(),
            rooms: rooms::Rooms::new(Arc::clone(&store), Arc::clone(&config), Arc::new(key), Arc::clone(&notifier)),
            media: media::Media::new(Arc::clone(&store), blobs, Arc::clone(&config), Arc::clone(&audit)),
            audit,
            typing: Arc::new(typing::Typing::default()),
            rate_limiter: ratelimit::RateLimiter::for_accounts(&config.rate_limits),
            unread_tallies: push::UnreadTallies::default(),
            push_rules_cache: push::PushRulesCache::default(),
            address_rate_limiter: ratelimit::RateLimiter::for_addresses(&config.rate_limits),
            notices: notices::Notices::default(),
            room_deletions: room_admin::RoomDeletions::default(),
            login_protection: login_protection::LoginProtection::new(&config.login_protection),
            read_budget: read_budget::ReadBudget::new(config.directory.reads_per_hour),
            shared_secret: shared_secret::SharedSecretRegistration::new(config.registration.shared_secret.clone()),
            account_data_updates: std::sync::Mutex::new(()),
            notifier,
            store,
            config,
        })
    }
}
