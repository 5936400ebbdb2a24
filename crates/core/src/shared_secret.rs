//! Synapse-compatible shared-secret registration (`/_synapse/admin/v1/register`): whoever holds
//! `[registration] shared_secret` may create accounts without an access token, proving it with
//! an HMAC-SHA1 over a single-use nonce and the account's details, exactly as Synapse's
//! `register_new_matrix_user` and the tools built on it compute it.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use hmac::{Hmac, KeyInit, Mac};
use ruma::OwnedUserId;
use sha1::Sha1;

use crate::{CoreError, Services, accounts::IssuedSession};

/// How long a nonce may be used after it was handed out (Synapse's value).
pub const NONCE_LIFETIME: Duration = Duration::from_secs(60);

/// Nonces are handed out without authentication; past this many outstanding ones the oldest
/// is dropped, so that a client asking in a loop cannot grow memory without bound.
const MAX_OUTSTANDING_NONCES: usize = 10_000;

/// Longest user name and password accepted, as in Synapse.
const MAX_FIELD_BYTES: usize = 512;

/// Why a shared-secret registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum SharedSecretError {
    /// No shared secret is configured.
    #[error("Shared secret registration is not enabled")]
    Disabled,
    /// The nonce was never handed out, was already used, or expired.
    #[error("unrecognised nonce")]
    UnknownNonce,
    /// The MAC does not match.
    #[error("HMAC incorrect")]
    BadMac,
    /// Creating the account failed (name taken or invalid, weak password, ...).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// What the operator's tool sent.
#[derive(Debug, Clone, Copy)]
pub struct SharedSecretRequest<'a> {
    /// A nonce from [`SharedSecretRegistration::issue_nonce`].
    pub nonce: &'a str,
    /// The local part of the new account.
    pub username: &'a str,
    /// Its password.
    pub password: &'a str,
    /// Whether it is a server admin.
    pub admin: bool,
    /// Its display name (the local part when absent).
    pub displayname: Option<&'a str>,
    /// Hex HMAC-SHA1 of `nonce\0username\0password\0admin|notadmin`, keyed with the secret.
    pub mac: &'a str,
}

/// The nonces handed out and the secret they are checked against.
pub struct SharedSecretRegistration {
    secret: Option<String>,
    nonces: Mutex<HashMap<String, Instant>>,
}

impl SharedSecretRegistration {
    /// Enabled when `secret` is set (and not empty).
    pub fn new(secret: Option<String>) -> Self {
        Self { secret: secret.filter(|s| !s.is_empty()), nonces: Mutex::new(HashMap::new()) }
    }

    fn nonces(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.nonces.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands out a fresh nonce, valid for [`NONCE_LIFETIME`] and for one registration.
    pub fn issue_nonce(&self) -> Result<String, SharedSecretError> {
        self.issue_nonce_at(Instant::now())
    }

    fn issue_nonce_at(&self, now: Instant) -> Result<String, SharedSecretError> {
        if self.secret.is_none() {
            return Err(SharedSecretError::Disabled);
        }
        let nonce = hex::encode(rand::random::<[u8; 32]>());
        let mut nonces = self.nonces();
        nonces.retain(|_, issued| now.saturating_duration_since(*issued) < NONCE_LIFETIME);
        if nonces.len() >= MAX_OUTSTANDING_NONCES
            && let Some(oldest) = nonces.iter().min_by_key(|(_, issued)| **issued).map(|(n, _)| n.clone())
        {
            nonces.remove(&oldest);
        }
        nonces.insert(nonce.clone(), now);
        Ok(nonce)
    }

    /// Checks a request: the nonce is consumed whatever the outcome (as in Synapse, so a nonce
    /// cannot be used to try several MACs), then the MAC is compared in constant time.
    pub fn verify(&self, request: &SharedSecretRequest<'_>) -> Result<(), SharedSecretError> {
        self.verify_at(request, Instant::now())
    }

    fn verify_at(&self, request: &SharedSecretRequest<'_>, now: Instant) -> Result<(), SharedSecretError> {
        let secret = self.secret.as_deref().ok_or(SharedSecretError::Disabled)?;
        let issued = self.nonces().remove(request.nonce).ok_or(SharedSecretError::UnknownNonce)?;
        if now.saturating_duration_since(issued) >= NONCE_LIFETIME {
            return Err(SharedSecretError::UnknownNonce);
        }
        check_field(request.username, "username")?;
        check_field(request.password, "password")?;
        let expected = hex::decode(request.mac).map_err(|_| SharedSecretError::BadMac)?;
        let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
            .map_err(|e| CoreError::Internal(format!("HMAC key: {e}")))?;
        for (i, part) in [request.nonce, request.username, request.password].into_iter().enumerate() {
            if i > 0 {
                mac.update(b"\0");
            }
            mac.update(part.as_bytes());
        }
        mac.update(b"\0");
        mac.update(if request.admin { b"admin".as_slice() } else { b"notadmin".as_slice() });
        mac.verify_slice(&expected).map_err(|_| SharedSecretError::BadMac)
    }
}

/// A NUL inside a field would let two different requests share one MAC.
fn check_field(value: &str, name: &str) -> Result<(), SharedSecretError> {
    if value.len() > MAX_FIELD_BYTES || value.contains('\0') {
        return Err(CoreError::InvalidParam(format!("invalid {name}")).into());
    }
    Ok(())
}

impl Services {
    /// Registers an account through shared-secret registration and logs it in on a new device.
    /// The user name is lower-cased, as Synapse does.
    pub async fn register_with_shared_secret(
        &self,
        request: &SharedSecretRequest<'_>,
        ip: Option<&str>,
    ) -> Result<IssuedSession, SharedSecretError> {
        self.shared_secret.verify(request)?;
        let localpart = request.username.to_lowercase();
        let user_id: OwnedUserId = self
            .create_account("shared_secret", &localpart, Some(request.password), request.admin, request.displayname)
            .await?;
        Ok(self.accounts.issue_session(&user_id, None, None, ip)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret";

    fn mac_for(nonce: &str, username: &str, password: &str, admin: bool) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).expect("key");
        let kind = if admin { "admin" } else { "notadmin" };
        mac.update(format!("{nonce}\0{username}\0{password}\0{kind}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn request<'a>(nonce: &'a str, mac: &'a str) -> SharedSecretRequest<'a> {
        SharedSecretRequest { nonce, username: "alice", password: "pw", admin: false, displayname: None, mac }
    }

    #[test]
    fn a_correct_mac_passes_once() {
        let registration = SharedSecretRegistration::new(Some(SECRET.into()));
        let nonce = registration.issue_nonce().expect("nonce");
        let mac = mac_for(&nonce, "alice", "pw", false);
        registration.verify(&request(&nonce, &mac)).expect("valid");
        assert!(matches!(registration.verify(&request(&nonce, &mac)), Err(SharedSecretError::UnknownNonce)));
    }

    #[test]
    fn a_wrong_mac_is_refused_and_burns_the_nonce() {
        let registration = SharedSecretRegistration::new(Some(SECRET.into()));
        let nonce = registration.issue_nonce().expect("nonce");
        let admin_mac = mac_for(&nonce, "alice", "pw", true);
        assert!(matches!(registration.verify(&request(&nonce, &admin_mac)), Err(SharedSecretError::BadMac)));
        let right = mac_for(&nonce, "alice", "pw", false);
        assert!(matches!(registration.verify(&request(&nonce, &right)), Err(SharedSecretError::UnknownNonce)));
        let other = registration.issue_nonce().expect("nonce");
        assert!(matches!(registration.verify(&request(&other, "not hex")), Err(SharedSecretError::BadMac)));
    }

    #[test]
    fn nonces_expire() {
        let registration = SharedSecretRegistration::new(Some(SECRET.into()));
        let start = Instant::now();
        let nonce = registration.issue_nonce_at(start).expect("nonce");
        let mac = mac_for(&nonce, "alice", "pw", false);
        let later = start + NONCE_LIFETIME;
        assert!(matches!(registration.verify_at(&request(&nonce, &mac), later), Err(SharedSecretError::UnknownNonce)));
    }

    #[test]
    fn outstanding_nonces_are_bounded() {
        let registration = SharedSecretRegistration::new(Some(SECRET.into()));
        let start = Instant::now();
        let first = registration.issue_nonce_at(start).expect("nonce");
        for i in 1..=MAX_OUTSTANDING_NONCES as u64 {
            registration.issue_nonce_at(start + Duration::from_micros(i)).expect("nonce");
        }
        assert_eq!(registration.nonces().len(), MAX_OUTSTANDING_NONCES);
        assert!(!registration.nonces().contains_key(&first), "the oldest nonce made room");
    }

    #[test]
    fn disabled_without_a_secret() {
        for secret in [None, Some(String::new())] {
            let registration = SharedSecretRegistration::new(secret);
            assert!(matches!(registration.issue_nonce(), Err(SharedSecretError::Disabled)));
            assert!(matches!(registration.verify(&request("n", "00")), Err(SharedSecretError::Disabled)));
        }
    }

    #[test]
    fn nul_bytes_are_refused() {
        let registration = SharedSecretRegistration::new(Some(SECRET.into()));
        let nonce = registration.issue_nonce().expect("nonce");
        let mac = mac_for(&nonce, "alice", "pw", false);
        let bad = SharedSecretRequest { username: "al\0ice", ..request(&nonce, &mac) };
        assert!(matches!(registration.verify(&bad), Err(SharedSecretError::Core(CoreError::InvalidParam(_)))));
    }
}
