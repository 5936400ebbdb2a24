//! Global profiles (display name, avatar), propagated to the user's rooms on change, and who
//! may read them.
//!
//! Reading another user's profile follows the discovery rule of `user_directory` (unless
//! `[directory] profile_requires_shared_room = false`): a user who may not discover the target
//! gets 403 `M_FORBIDDEN`, whether or not the account exists, so the endpoint tells strangers
//! nothing, not even that an account exists (Synapse answers the same with
//! `limit_profile_requests_to_users_who_share_rooms`, and Element still lets its user invite
//! the id, where a 404 would make it warn that the user may not exist). A target the user may
//! discover but that is locked or deactivated has no profile to show: 404 `M_NOT_FOUND`. Every
//! lookup of another user, answered or not, spends one read of the requester's read budget.

use rempart_storage::AccountStatus;
use ruma::UserId;

use crate::{CoreError, Result, Services};

/// A user's public profile.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Display name.
    pub displayname: Option<String>,
    /// Avatar `mxc://` URI.
    pub avatar_url: Option<String>,
}

impl Services {
    /// A profile, if the account exists and is not deactivated.
    pub fn profile(&self, user_id: &UserId) -> Result<Profile> {
        let user = self
            .store
            .get_user(user_id)?
            .filter(|u| u.status != AccountStatus::Deactivated)
            .ok_or_else(|| CoreError::NotFound("profile not found".into()))?;
        Ok(Profile { displayname: user.displayname, avatar_url: user.avatar_url })
    }

    /// `target`'s profile as `requester` may read it (see the module documentation); one's own
    /// profile is always readable and costs nothing.
    pub fn profile_for(&self, requester: &UserId, target: &UserId) -> Result<Profile> {
        if requester == target {
            return self.profile(target);
        }
        self.read_budget.spend(requester)?;
        if self.config.directory.profile_requires_shared_room && !self.may_discover(requester, target)? {
            return Err(CoreError::Forbidden(
                "this profile is not available: profiles are shown to users who share a room with their owner, \
                 or when the owner is in a public room"
                    .into(),
            ));
        }
        let user = self
            .store
            .get_user(target)?
            .filter(|u| matches!(u.status, AccountStatus::Active | AccountStatus::Suspended))
            .ok_or_else(|| CoreError::NotFound("profile not found".into()))?;
        Ok(Profile { displayname: user.displayname, avatar_url: user.avatar_url })
    }

    /// Sets the display name and updates every joined room.
    pub async fn set_displayname(&self, user_id: &UserId, displayname: Option<&str>) -> Result<()> {
        if displayname.is_some_and(|d| d.len() > 256) {
            return Err(CoreError::BadJson("display name is longer than 256 bytes".into()));
        }
        self.store.set_displayname(user_id, displayname)?;
        self.rooms.propagate_profile(user_id).await
    }

    /// Sets the avatar and updates every joined room.
    pub async fn set_avatar_url(&self, user_id: &UserId, avatar_url: Option<&str>) -> Result<()> {
        if let Some(url) = avatar_url
            && !url.is_empty()
            && !url.starts_with("mxc://")
        {
            return Err(CoreError::BadJson("avatar_url must be an mxc:// URI".into()));
        }
        self.store.set_avatar_url(user_id, avatar_url.filter(|u| !u.is_empty()))?;
        self.rooms.propagate_profile(user_id).await
    }
}
