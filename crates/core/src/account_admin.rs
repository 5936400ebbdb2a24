//! What operators (and users, for their own account) do to accounts: lock, suspend,
//! deactivate, reset a password. Each action takes effect everywhere at once, because account
//! state is enforced in one place ([`Accounts::authenticate`](crate::accounts::Accounts)), and
//! each is reported to the audit hook with who did it.

use rempart_storage::{AccountFlag, Membership, UserRecord};
use ruma::{OwnedUserId, UserId};

use crate::{CoreError, Result, Services, audit::AuditEvent};

/// Who acts, for the audit record: an admin's user id, the user themselves, or `cli`.
pub type Actor<'a> = &'a str;

impl Services {
    fn existing_user(&self, user_id: &UserId) -> Result<UserRecord> {
        self.store.get_user(user_id)?.ok_or_else(|| CoreError::NotFound(format!("no such user {user_id}")))
    }

    /// Reports an operator's action on an account to the audit hook.
    pub fn record_admin_action(&self, actor: Actor<'_>, action: &str, target: &UserId) {
        self.audit.record(&AuditEvent::AdminAction { actor, action, target: target.as_str() });
    }

    /// Creates an account on an operator's behalf (admin API, shared-secret registration), with
    /// a display name other than the local part if given.
    pub async fn create_account(
        &self,
        actor: Actor<'_>,
        localpart: &str,
        password: Option<&str>,
        is_admin: bool,
        displayname: Option<&str>,
    ) -> Result<OwnedUserId> {
        // Checked before the account exists, so that a bad name cannot leave it half made.
        if displayname.is_some_and(|d| d.len() > 256) {
            return Err(CoreError::BadJson("display name is longer than 256 bytes".into()));
        }
        let user_id = self.accounts.create_user(localpart, password, is_admin)?;
        self.record_admin_action(actor, "user.create", &user_id);
        if let Some(displayname) = displayname.filter(|d| *d != localpart) {
            self.set_displayname(&user_id, Some(displayname).filter(|d| !d.is_empty())).await?;
        }
        Ok(user_id)
    }

    /// Grants or revokes server admin rights.
    pub fn set_admin(&self, actor: Actor<'_>, user_id: &UserId, is_admin: bool) -> Result<()> {
        if !self.store.set_admin(user_id, is_admin)? {
            return Err(CoreError::NotFound(format!("no such user {user_id}")));
        }
        self.record_admin_action(actor, if is_admin { "user.grant_admin" } else { "user.revoke_admin" }, user_id);
        Ok(())
    }

    /// Locks or unlocks an account. A lock ends every open long-polling sync of the user at
    /// once (they wake and find the session refused) and refuses every later request and login
    /// with `M_USER_LOCKED`; unlocking restores access with the same tokens.
    pub fn set_locked(&self, actor: Actor<'_>, user_id: &UserId, locked: bool) -> Result<()> {
        if !self.store.set_account_flag(user_id, AccountFlag::Locked, locked)? {
            return Err(CoreError::NotFound(format!("no such user {user_id}")));
        }
        self.record_admin_action(actor, if locked { "user.lock" } else { "user.unlock" }, user_id);
        self.notifier.notify();
        Ok(())
    }

    /// Suspends an account (reads allowed, writes refused with `M_USER_SUSPENDED`) or lifts it.
    pub fn set_suspended(&self, actor: Actor<'_>, user_id: &UserId, suspended: bool) -> Result<()> {
        if !self.store.set_account_flag(user_id, AccountFlag::Suspended, suspended)? {
            return Err(CoreError::NotFound(format!("no such user {user_id}")));
        }
        self.record_admin_action(actor, if suspended { "user.suspend" } else { "user.unsuspend" }, user_id);
        Ok(())
    }

    /// Deactivates an account for good: the user leaves every room (so the other members see
    /// it go), then in one transaction the password and profile are cleared and every device,
    /// token, device key, cross-signing key and key backup is deleted. With `erase`, the
    /// account data and every file the user uploaded are deleted too.
    pub async fn deactivate_account(&self, actor: Actor<'_>, user_id: &UserId, erase: bool) -> Result<()> {
        self.existing_user(user_id)?;
        for membership in self.store.user_memberships(user_id)? {
            if !matches!(membership.membership, Membership::Join | Membership::Invite | Membership::Knock) {
                continue;
            }
            if let Err(error) = self.rooms.leave(&membership.room_id, user_id, None).await {
                tracing::warn!(room_id = %membership.room_id, %error, "could not leave a room during deactivation");
            }
        }
        self.store.deactivate_user(user_id, erase)?;
        // Recorded as soon as it is done: erasing the files below may fail part way.
        self.record_admin_action(actor, if erase { "user.deactivate_erase" } else { "user.deactivate" }, user_id);
        self.notifier.notify();
        if erase {
            let mut failed = 0;
            loop {
                let (files, _) = self.media.user_media(user_id, failed, 100)?;
                if files.is_empty() {
                    break;
                }
                for file in files {
                    if let Err(error) = self.media.delete(actor, &file.media_id).await {
                        tracing::error!(media_id = %file.media_id, %error, "could not erase a file of a deactivated account");
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                return Err(CoreError::Internal(format!("{failed} file(s) of {user_id} could not be erased")));
            }
        }
        Ok(())
    }

    /// Sets a new password (subject to the password policy); with `logout_devices`, every
    /// session of the user ends in the same transaction.
    pub fn reset_password(
        &self,
        actor: Actor<'_>,
        user_id: &UserId,
        new_password: &str,
        logout_devices: bool,
    ) -> Result<()> {
        let user = self.existing_user(user_id)?;
        if user.status == rempart_storage::AccountStatus::Deactivated {
            return Err(CoreError::BadState("the account is deactivated".into()));
        }
        self.accounts.set_password(user_id, new_password, logout_devices)?;
        self.record_admin_action(actor, "user.reset_password", user_id);
        Ok(())
    }
}
