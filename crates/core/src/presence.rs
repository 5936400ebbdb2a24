//! Presence: online / unavailable / offline with a status message. A user learns the presence
//! of the users they share a room with, never of the whole platform (the user directory, with
//! its own discovery rule, is in `user_directory`).
//!
//! With presence disabled in the configuration nothing is stored: everyone reads as `offline`
//! and updates are accepted and ignored, as Synapse does.

use rempart_types::time::now_millis;
use ruma::UserId;

use crate::{CoreError, Result, Services};

/// Presence states a client may set.
const STATES: &[&str] = &["online", "unavailable", "offline"];

/// An online user who has not synced for this long reads as `unavailable`.
const IDLE_AFTER_MS: u64 = 5 * 60 * 1000;
/// An online or unavailable user who has not synced for this long reads as `offline`.
const GONE_AFTER_MS: u64 = 30 * 60 * 1000;
/// How often a syncing client's activity refreshes its stored `last_active` time; between
/// refreshes nothing is written, so steady syncing does not wake every other sync.
const REFRESH_AFTER_MS: u64 = 60 * 1000;

/// What a stored presence means now: clients stop syncing without saying goodbye, so
/// `online` decays to `unavailable` and then `offline` as `last_active` ages.
pub fn effective_presence(stored: &str, last_active: u64, now: u64) -> &str {
    let idle = now.saturating_sub(last_active);
    match stored {
        "online" | "unavailable" if idle >= GONE_AFTER_MS => "offline",
        "online" if idle >= IDLE_AFTER_MS => "unavailable",
        other => other,
    }
}

/// Longest status message accepted.
const MAX_STATUS_MSG_BYTES: usize = 1024;

/// A user's presence as another user may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceView {
    /// `online`, `unavailable` or `offline`.
    pub presence: String,
    /// Status message.
    pub status_msg: Option<String>,
    /// Milliseconds since the last change, when known.
    pub last_active_ago: Option<u64>,
    /// Whether the user is active now.
    pub currently_active: bool,
}

impl Services {
    /// Sets the user's presence (`PUT /presence/{userId}/status`).
    pub fn set_presence(&self, user_id: &UserId, presence: &str, status_msg: Option<&str>) -> Result<()> {
        if !STATES.contains(&presence) {
            return Err(CoreError::InvalidParam(format!("unknown presence state {presence}")));
        }
        if status_msg.is_some_and(|m| m.len() > MAX_STATUS_MSG_BYTES) {
            return Err(CoreError::InvalidParam("status_msg is longer than 1024 bytes".into()));
        }
        if !self.config.presence.enabled {
            return Ok(());
        }
        self.store.put_presence(user_id, presence, status_msg, now_millis())?;
        self.notifier.notify();
        Ok(())
    }

    /// Applies a sync's `set_presence`: `offline` leaves presence alone (the client does not
    /// want to be marked online); `online` and `unavailable` are stored when they change the
    /// state, keeping the status message.
    pub fn presence_on_sync(&self, user_id: &UserId, set_presence: &str) -> Result<()> {
        if !self.config.presence.enabled || set_presence == "offline" {
            return Ok(());
        }
        if !STATES.contains(&set_presence) {
            return Err(CoreError::InvalidParam(format!("unknown presence state {set_presence}")));
        }
        let current = self.store.get_presence(user_id)?;
        let now = now_millis();
        if current.as_ref().is_some_and(|(presence, _, last_active, _)| {
            presence == set_presence && now.saturating_sub(*last_active) < REFRESH_AFTER_MS
        }) {
            return Ok(());
        }
        let status_msg = current.and_then(|(_, status_msg, ..)| status_msg);
        self.store.put_presence(user_id, set_presence, status_msg.as_deref(), now)?;
        self.notifier.notify();
        Ok(())
    }

    /// `target`'s presence as `requester` may see it: only their own, or that of users they
    /// share a room with (`M_FORBIDDEN` otherwise).
    pub fn presence_for(&self, requester: &UserId, target: &UserId) -> Result<PresenceView> {
        if requester != target && !self.store.users_sharing_rooms(requester)?.iter().any(|u| u == target) {
            return Err(CoreError::Forbidden("you do not share a room with this user".into()));
        }
        let offline = PresenceView {
            presence: "offline".into(),
            status_msg: None,
            last_active_ago: None,
            currently_active: false,
        };
        if !self.config.presence.enabled {
            return Ok(offline);
        }
        Ok(match self.store.get_presence(target)? {
            Some((presence, status_msg, last_active, _)) => {
                let now = now_millis();
                let presence = effective_presence(&presence, last_active, now).to_owned();
                PresenceView {
                    currently_active: presence == "online",
                    presence,
                    status_msg,
                    last_active_ago: Some(now.saturating_sub(last_active)),
                }
            }
            None => offline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::effective_presence;

    #[test]
    fn presence_decays_with_inactivity() {
        let now = 100 * 60 * 1000;
        assert_eq!(effective_presence("online", now - 1000, now), "online");
        assert_eq!(effective_presence("online", now - 6 * 60 * 1000, now), "unavailable");
        assert_eq!(effective_presence("online", now - 31 * 60 * 1000, now), "offline");
        assert_eq!(effective_presence("unavailable", now - 31 * 60 * 1000, now), "offline");
        assert_eq!(effective_presence("offline", now, now), "offline");
    }
}
