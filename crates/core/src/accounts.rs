//! Accounts and sessions: creating users, hashing and checking passwords, issuing and
//! resolving access tokens, and enforcing account state once for every request.

use std::{collections::HashMap, sync::Arc};

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use rempart_storage::{AccountStatus, EndSessions, NewUser, SessionRecord, Storage, StorageError, UserRecord};
use rempart_types::{config::Config, time::now_millis};
use ruma::{DeviceId, OwnedDeviceId, OwnedUserId, UserId};
use sha2::{Digest, Sha256};

use crate::{CoreError, Result};

/// A freshly issued session.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The account.
    pub user_id: OwnedUserId,
    /// The device.
    pub device_id: OwnedDeviceId,
    /// The bearer token; only its hash is stored.
    pub access_token: String,
}

/// An authenticated request's identity, after account state was checked.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The account.
    pub user_id: OwnedUserId,
    /// The device the token belongs to.
    pub device_id: OwnedDeviceId,
    /// Server administrator.
    pub is_admin: bool,
    /// Suspended accounts may read but not write.
    pub suspended: bool,
}

impl Identity {
    /// Refuses writes from suspended accounts.
    pub fn ensure_can_write(&self) -> Result<()> {
        if self.suspended { Err(CoreError::UserSuspended) } else { Ok(()) }
    }
}

/// Account and session operations.
pub struct Accounts {
    store: Arc<dyn Storage>,
    config: Arc<Config>,
    /// Ending sessions changes device lists that contacts' syncs report.
    notifier: Arc<crate::notifier::Notifier>,
    /// A hash with the configured cost, checked against for unknown accounts.
    dummy_hash: std::sync::OnceLock<String>,
    /// The last use recorded for each session (see [`Accounts::record_use`]).
    recorded_uses: std::sync::Mutex<HashMap<(OwnedUserId, OwnedDeviceId), RecordedUse>>,
    /// Every hash and check runs through it.
    password_work: crate::password_work::PasswordWork,
}

/// Where and when a session was last recorded as used.
struct RecordedUse {
    ip: Option<String>,
    user_agent: Option<String>,
    at: u64,
}

/// Sessions remembered before the memory of recorded uses is cleared (a cache only).
const MAX_RECORDED_USES: usize = 100_000;

/// Random opaque token: 256 bits, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Hash under which a token is stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The one answer to a wrong password or an unknown account.
pub(crate) fn invalid_credentials() -> CoreError {
    CoreError::Forbidden("invalid username or password".into())
}

/// Refuses logins (with the right password) to locked and deactivated accounts.
pub(crate) fn ensure_may_log_in(user: UserRecord) -> Result<UserRecord> {
    match user.status {
        AccountStatus::Deactivated => Err(CoreError::Forbidden("this account has been deactivated".into())),
        AccountStatus::Locked => Err(CoreError::UserLocked),
        AccountStatus::Active | AccountStatus::Suspended => Ok(user),
    }
}

fn random_device_id() -> OwnedDeviceId {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let bytes: [u8; 10] = rand::random();
    let id: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    OwnedDeviceId::from(id)
}

impl Accounts {
    /// Builds the service.
    pub fn new(store: Arc<dyn Storage>, config: Arc<Config>, notifier: Arc<crate::notifier::Notifier>) -> Self {
        Self {
            store,
            config,
            notifier,
            dummy_hash: std::sync::OnceLock::new(),
            recorded_uses: Default::default(),
            password_work: Default::default(),
        }
    }

    fn dummy_hash(&self) -> Result<&str> {
        if let Some(hash) = self.dummy_hash.get() {
            return Ok(hash);
        }
        let hash = self.hash_password(&random_token())?;
        Ok(self.dummy_hash.get_or_init(|| hash))
    }

    fn hasher(&self) -> Result<Argon2<'static>> {
        let params =
            Params::new(self.config.password_hashing.memory_kib, self.config.password_hashing.iterations, 1, None)
                .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes a password with Argon2id.
    pub fn hash_password(&self, password: &str) -> Result<String> {
        let hasher = self.hasher()?;
        self.password_work
            .run(|| hasher.hash_password(password.as_bytes()))
            .map(|hash| hash.to_string())
            .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
    }

    /// Hashes a password being set, after checking it against the password policy: every path
    /// that sets a password comes through here, so none can skip the policy.
    fn hash_new_password(&self, password: &str) -> Result<String> {
        crate::password_policy::check(&self.config.password_policy, password)?;
        self.hash_password(password)
    }

    /// Checks a password against a stored hash (parameters come from the hash itself).
    pub fn password_matches(&self, password: &str, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else { return false };
        self.password_work.run(|| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    }

    /// Validates a localpart for registration and returns the full user id.
    pub fn user_id_for_localpart(&self, localpart: &str) -> Result<OwnedUserId> {
        let valid = !localpart.is_empty()
            && localpart
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'=' | b'-' | b'/' | b'+'));
        if !valid {
            return Err(CoreError::InvalidUsername("user names may only contain a-z, 0-9 and . _ = - / +".into()));
        }
        let user_id = OwnedUserId::try_from(format!("@{localpart}:{}", self.config.server_name))
            .map_err(|e| CoreError::InvalidUsername(e.to_string()))?;
        if user_id.as_str().len() > 255 {
            return Err(CoreError::InvalidUsername("user id is longer than 255 characters".into()));
        }
        Ok(user_id)
    }

    /// Whether a localpart is free.
    pub fn is_available(&self, localpart: &str) -> Result<bool> {
        let user_id = self.user_id_for_localpart(localpart)?;
        // The server-notices account is the server's own: nobody may register it and read
        // every user's notices.
        if localpart == self.config.notices.sender_localpart {
            return Ok(false);
        }
        Ok(self.store.get_user(&user_id)?.is_none())
    }

    /// Creates an account.
    pub fn create_user(&self, localpart: &str, password: Option<&str>, is_admin: bool) -> Result<OwnedUserId> {
        let user_id = self.user_id_for_localpart(localpart)?;
        let password_hash = password.map(|p| self.hash_new_password(p)).transpose()?;
        let user =
            NewUser { user_id: user_id.clone(), password_hash, is_admin, displayname: Some(localpart.to_owned()) };
        match self.store.create_user(&user, now_millis()) {
            Ok(()) => Ok(user_id),
            Err(StorageError::Conflict(_)) => Err(CoreError::UserInUse),
            Err(e) => Err(e.into()),
        }
    }

    /// Looks an account up.
    pub fn get_user(&self, user_id: &UserId) -> Result<Option<UserRecord>> {
        Ok(self.store.get_user(user_id)?)
    }

    /// Issues a new session (device + token) for an account.
    pub fn issue_session(
        &self,
        user_id: &UserId,
        device_id: Option<OwnedDeviceId>,
        display_name: Option<&str>,
        ip: Option<&str>,
    ) -> Result<IssuedSession> {
        let device_id = device_id.unwrap_or_else(random_device_id);
        let access_token = random_token();
        self.store.create_session(user_id, &device_id, display_name, &token_hash(&access_token), ip, now_millis())?;
        Ok(IssuedSession { user_id: user_id.to_owned(), device_id, access_token })
    }

    /// Checks a password login; the same error for unknown users and wrong passwords so that
    /// logins cannot be used to enumerate accounts.
    pub fn check_password_login(&self, user_id: &UserId, password: &str) -> Result<UserRecord> {
        ensure_may_log_in(self.verify_password(user_id, password)?.ok_or_else(invalid_credentials)?)
    }

    /// The account, if `password` is its password; `None` alike for a wrong password and an
    /// unknown account. Account state is not looked at.
    pub fn verify_password(&self, user_id: &UserId, password: &str) -> Result<Option<UserRecord>> {
        let user = self.store.get_user(user_id)?;
        let Some((user, hash)) = user.and_then(|u| u.password_hash.clone().map(|h| (u, h))) else {
            // Spend the same Argon2 time as for a real account, so that response times do not
            // tell which accounts exist.
            self.password_matches(password, self.dummy_hash()?);
            return Ok(None);
        };
        Ok(self.password_matches(password, &hash).then_some(user))
    }

    /// Resolves a bearer token into an identity, enforcing account state. This is the one place
    /// where locked, deactivated and suspended accounts are handled for every request.
    pub fn authenticate(&self, token: &str, ip: Option<&str>, user_agent: Option<&str>) -> Result<Identity> {
        let session: SessionRecord = self.store.find_session(&token_hash(token))?.ok_or(CoreError::UnknownToken)?;
        match session.status {
            AccountStatus::Deactivated => return Err(CoreError::UnknownToken),
            AccountStatus::Locked => return Err(CoreError::UserLocked),
            AccountStatus::Active | AccountStatus::Suspended => {}
        }
        self.record_use(&session.user_id, &session.device_id, ip, user_agent)?;
        Ok(Identity {
            suspended: session.status == AccountStatus::Suspended,
            user_id: session.user_id,
            device_id: session.device_id,
            is_admin: session.is_admin,
        })
    }

    /// Records that a session was used (its last-seen time and its IP/user-agent history).
    /// The storage keeps one row per place and minute anyway; remembering the last write here
    /// spares every other request of the minute a write transaction on the single writer.
    fn record_use(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<()> {
        let now = now_millis();
        let key = (user_id.to_owned(), device_id.to_owned());
        {
            let uses = self.recorded_uses.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(last) = uses.get(&key)
                && last.ip.as_deref() == ip
                && last.user_agent.as_deref() == user_agent
                && now.saturating_sub(last.at) < rempart_storage::LAST_SEEN_GRANULARITY_MS
            {
                return Ok(());
            }
        }
        self.store.touch_device(user_id, device_id, ip, user_agent, now)?;
        let mut uses = self.recorded_uses.lock().unwrap_or_else(|e| e.into_inner());
        if uses.len() >= MAX_RECORDED_USES {
            uses.clear();
        }
        uses.insert(key, RecordedUse { ip: ip.map(str::to_owned), user_agent: user_agent.map(str::to_owned), at: now });
        Ok(())
    }

    /// Re-checks, during a long-running request (a long-polling sync), that the session was not
    /// ended or the account locked or deactivated since it was authenticated.
    pub fn ensure_session_alive(&self, identity: &Identity) -> Result<()> {
        if self.store.get_device(&identity.user_id, &identity.device_id)?.is_none() {
            return Err(CoreError::UnknownToken);
        }
        match self.store.get_user(&identity.user_id)?.map(|u| u.status) {
            Some(AccountStatus::Active | AccountStatus::Suspended) => Ok(()),
            Some(AccountStatus::Locked) => Err(CoreError::UserLocked),
            Some(AccountStatus::Deactivated) | None => Err(CoreError::UnknownToken),
        }
    }

    /// Ends one session (the token's device is deleted, as the spec says for logout).
    pub fn logout(&self, identity: &Identity) -> Result<()> {
        self.delete_devices(&identity.user_id, std::slice::from_ref(&identity.device_id))
    }

    /// Ends every session of the user.
    pub fn logout_all(&self, user_id: &UserId) -> Result<Vec<OwnedDeviceId>> {
        let deleted = self.store.delete_devices_except(user_id, None)?;
        self.notifier.notify();
        Ok(deleted)
    }

    /// Changes the password; other sessions end unless `keep_other_devices`.
    pub fn change_password(&self, identity: &Identity, new_password: &str, keep_other_devices: bool) -> Result<()> {
        let hash = self.hash_new_password(new_password)?;
        let end = if keep_other_devices { EndSessions::None } else { EndSessions::AllExcept(&identity.device_id) };
        if !self.store.change_password(&identity.user_id, &hash, end)?.is_empty() {
            self.notifier.notify();
        }
        Ok(())
    }

    /// Sets a password for an account (an operator's reset); with `logout_devices`, every
    /// session ends in the same transaction.
    pub fn set_password(&self, user_id: &UserId, new_password: &str, logout_devices: bool) -> Result<()> {
        let hash = self.hash_new_password(new_password)?;
        let end = if logout_devices { EndSessions::All } else { EndSessions::None };
        let ended = self.store.change_password(user_id, &hash, end)?;
        if !ended.is_empty() {
            self.notifier.notify();
        }
        Ok(())
    }

    /// Deletes devices of the user.
    pub fn delete_devices(&self, user_id: &UserId, device_ids: &[OwnedDeviceId]) -> Result<()> {
        self.store.delete_devices(user_id, device_ids)?;
        self.notifier.notify();
        Ok(())
    }

    /// Whether a device belongs to the user.
    pub fn has_device(&self, user_id: &UserId, device_id: &DeviceId) -> Result<bool> {
        Ok(self.store.get_device(user_id, device_id)?.is_some())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_and_distinct() {
        let a = super::random_token();
        assert!(a.len() >= 43);
        assert_ne!(a, super::random_token());
        assert_eq!(super::token_hash(&a).len(), 32);
    }
}
