//! Global profiles (display name, avatar), propagated to the user's rooms on change.

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
            .filter(|u| u.status != rempart_storage::AccountStatus::Deactivated)
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
