//! Accounts, devices and access tokens.

use ruma::{DeviceId, OwnedDeviceId, OwnedUserId, UserId};

use crate::Result;

/// Lifecycle state of an account, enforced where requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// Normal.
    Active,
    /// Every request refused with `M_USER_LOCKED` until unlocked.
    Locked,
    /// Reads allowed, writes refused with `M_USER_SUSPENDED`.
    Suspended,
    /// Permanently closed; every token is dead.
    Deactivated,
}

impl AccountStatus {
    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Suspended => "suspended",
            Self::Deactivated => "deactivated",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "locked" => Self::Locked,
            "suspended" => Self::Suspended,
            "deactivated" => Self::Deactivated,
            _ => return None,
        })
    }
}

/// A restriction an operator turns on or off, independently of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFlag {
    /// Every request refused with `M_USER_LOCKED`.
    Locked,
    /// Writes refused with `M_USER_SUSPENDED`.
    Suspended,
}

/// Which sessions a password change ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSessions<'a> {
    /// None.
    None,
    /// Every session but this device's (the one changing the password).
    AllExcept(&'a DeviceId),
    /// Every session (an operator's reset).
    All,
}

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Full user id.
    pub user_id: OwnedUserId,
    /// Argon2id PHC string; `None` for accounts that cannot log in with a password.
    pub password_hash: Option<String>,
    /// Server administrator.
    pub is_admin: bool,
    /// Effective state: deactivated, else locked, else suspended, else active.
    pub status: AccountStatus,
    /// Whether the account is locked (kept while deactivated, for the record).
    pub locked: bool,
    /// Whether the account is suspended.
    pub suspended: bool,
    /// Whether the account was erased when it was deactivated.
    pub erased: bool,
    /// Global display name.
    pub displayname: Option<String>,
    /// Global avatar `mxc://` URI.
    pub avatar_url: Option<String>,
    /// Creation time, ms since the epoch.
    pub created_ts: u64,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Full user id.
    pub user_id: OwnedUserId,
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    /// Server administrator.
    pub is_admin: bool,
    /// Initial display name (the localpart, as Synapse does).
    pub displayname: Option<String>,
}

/// A device and what was last seen of it.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    /// Owner.
    pub user_id: OwnedUserId,
    /// Device id.
    pub device_id: OwnedDeviceId,
    /// Human-readable name.
    pub display_name: Option<String>,
    /// Last request time, ms since the epoch.
    pub last_seen_ts: Option<u64>,
    /// Last client IP address.
    pub last_seen_ip: Option<String>,
    /// Last client user agent.
    pub last_seen_user_agent: Option<String>,
    /// Creation time.
    pub created_ts: u64,
}

/// What an access token resolves to.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Owner of the token.
    pub user_id: OwnedUserId,
    /// Device the token belongs to.
    pub device_id: OwnedDeviceId,
    /// The owner's effective account state at lookup time.
    pub status: AccountStatus,
    /// Whether the owner is a server administrator.
    pub is_admin: bool,
}

/// Accounts, devices and tokens.
pub trait AccountStore {
    /// Creates an account; `Conflict` when the id is taken.
    fn create_user(&self, user: &NewUser, now: u64) -> Result<()>;
    /// Looks up an account.
    fn get_user(&self, user_id: &UserId) -> Result<Option<UserRecord>>;
    /// Every account, ordered by user id.
    fn list_users(&self) -> Result<Vec<UserRecord>>;
    /// Replaces the password hash.
    fn set_password_hash(&self, user_id: &UserId, hash: Option<&str>) -> Result<()>;
    /// Turns a restriction on or off; returns whether the account exists.
    fn set_account_flag(&self, user_id: &UserId, flag: AccountFlag, on: bool) -> Result<bool>;
    /// Grants or revokes server admin rights; returns whether the account exists.
    fn set_admin(&self, user_id: &UserId, admin: bool) -> Result<bool>;
    /// Sets the global display name.
    fn set_displayname(&self, user_id: &UserId, displayname: Option<&str>) -> Result<()>;
    /// Sets the global avatar.
    fn set_avatar_url(&self, user_id: &UserId, avatar_url: Option<&str>) -> Result<()>;

    /// Creates the device if it does not exist, replaces any token it had with `token_hash`
    /// (logging in again with the same device id ends the old session), in one transaction.
    fn create_session(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        display_name: Option<&str>,
        token_hash: &[u8],
        ip: Option<&str>,
        now: u64,
    ) -> Result<()>;
    /// Resolves a token hash.
    fn find_session(&self, token_hash: &[u8]) -> Result<Option<SessionRecord>>;
    /// Records that a device was used.
    fn touch_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        ip: Option<&str>,
        user_agent: Option<&str>,
        now: u64,
    ) -> Result<()>;
    /// A user's devices.
    fn list_devices(&self, user_id: &UserId) -> Result<Vec<DeviceRecord>>;
    /// One device.
    fn get_device(&self, user_id: &UserId, device_id: &DeviceId) -> Result<Option<DeviceRecord>>;
    /// Renames a device; false when it does not exist.
    fn set_device_display_name(&self, user_id: &UserId, device_id: &DeviceId, name: Option<&str>) -> Result<bool>;
    /// Deletes devices and their tokens.
    fn delete_devices(&self, user_id: &UserId, device_ids: &[OwnedDeviceId]) -> Result<()>;
    /// Deletes every device of the user except `keep`, returning the ids deleted.
    fn delete_devices_except(&self, user_id: &UserId, keep: Option<&DeviceId>) -> Result<Vec<OwnedDeviceId>>;
    /// Replaces the password hash and ends the sessions `end` names, in one transaction: a new
    /// password never coexists with the sessions it was meant to end. Returns the devices
    /// deleted.
    fn change_password(&self, user_id: &UserId, hash: &str, end: EndSessions<'_>) -> Result<Vec<OwnedDeviceId>>;
    /// Deactivates the account in one transaction: status, password and profile cleared, every
    /// device with its tokens and keys deleted, cross-signing keys and key backups deleted; with
    /// `erase`, the account data too. Returns the devices deleted.
    fn deactivate_user(&self, user_id: &UserId, erase: bool) -> Result<Vec<OwnedDeviceId>>;
}
