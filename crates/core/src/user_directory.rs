//! Who may discover whom: the one rule deciding which other accounts a user may find in the user
//! directory or look up the profile of, and the directory search built on it.
//!
//! A user discovers their room peers (users joined to or invited into a room the user is joined
//! to or invited into: both already see each other's member events) and users joined to a
//! public room (open forums, readable by the whole platform). Nobody else: the platform's
//! membership list is never exposed, and locked or deactivated accounts are never listed.

use std::collections::BTreeSet;

use rempart_storage::{AccountStatus, Membership};
use ruma::{OwnedRoomId, OwnedUserId, RoomId, UserId, events::StateEventType};
use serde_json::Value;

use crate::{CoreError, Result, Services};

/// One user directory hit.
#[derive(Debug, Clone)]
pub struct DirectoryUser {
    /// The user.
    pub user_id: OwnedUserId,
    /// Global display name.
    pub displayname: Option<String>,
    /// Global avatar.
    pub avatar_url: Option<String>,
}

/// Memberships that put two users in sight of each other.
fn present(membership: Membership) -> bool {
    matches!(membership, Membership::Join | Membership::Invite)
}

impl Services {
    /// Rooms `user_id` is joined to or invited into.
    fn present_rooms(&self, user_id: &UserId) -> Result<BTreeSet<OwnedRoomId>> {
        Ok(self
            .store
            .user_memberships(user_id)?
            .into_iter()
            .filter(|m| present(m.membership))
            .map(|m| m.room_id)
            .collect())
    }

    fn is_public_room(&self, room_id: &RoomId) -> Result<bool> {
        let join_rules = self.store.current_state_event(room_id, &StateEventType::RoomJoinRules, "")?;
        Ok(join_rules
            .is_some_and(|event| event.pdu.content_value().get("join_rule").and_then(Value::as_str) == Some("public")))
    }

    /// Whether `requester` may discover `target` (see the module documentation). Says nothing
    /// about the target's account state; a user id that names no account is never discoverable
    /// by others, as it is in no room.
    pub fn may_discover(&self, requester: &UserId, target: &UserId) -> Result<bool> {
        if requester == target {
            return Ok(true);
        }
        let target_rooms = self.present_rooms(target)?;
        if !self.present_rooms(requester)?.is_disjoint(&target_rooms) {
            return Ok(true);
        }
        for membership in self.store.user_memberships(target)? {
            if membership.membership == Membership::Join && self.is_public_room(&membership.room_id)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `user_id`'s room peers, in user id order.
    fn room_peers(&self, user_id: &UserId) -> Result<BTreeSet<OwnedUserId>> {
        let mut peers = BTreeSet::new();
        for room_id in self.present_rooms(user_id)? {
            let members = self.store.room_memberships(&room_id)?;
            peers.extend(members.into_iter().filter(|m| present(m.membership)).map(|m| m.user_id));
        }
        Ok(peers)
    }

    /// Searches the user directory: users whose id or display name contains `term`
    /// (case-insensitive) among those `searcher` may discover, room peers first. The term must
    /// have at least `[directory] min_search_chars` characters (`M_INVALID_PARAM` otherwise);
    /// at most `min(limit, [directory] max_results)` users are returned, with whether more
    /// matched. Each search spends one read of the searcher's read budget.
    pub fn search_users(&self, searcher: &UserId, term: &str, limit: usize) -> Result<(Vec<DirectoryUser>, bool)> {
        let term = term.trim().to_lowercase();
        let min_chars = self.config.directory.min_search_chars;
        if term.chars().count() < usize::try_from(min_chars).unwrap_or(usize::MAX) {
            return Err(CoreError::InvalidParam(format!(
                "the search term must be at least {min_chars} characters long"
            )));
        }
        self.read_budget.spend(searcher)?;
        if term.is_empty() {
            return Ok((vec![], false));
        }
        let limit = limit.min(usize::try_from(self.config.directory.max_results).unwrap_or(usize::MAX));
        let peers = self.room_peers(searcher)?;
        let in_public_rooms: Vec<OwnedUserId> =
            self.store.users_in_public_rooms()?.into_iter().filter(|user_id| !peers.contains(user_id)).collect();
        let mut results = vec![];
        for user_id in peers.into_iter().chain(in_public_rooms) {
            let Some(user) = self.store.get_user(&user_id)? else { continue };
            if matches!(user.status, AccountStatus::Deactivated | AccountStatus::Locked) {
                continue;
            }
            let id_matches = user_id.as_str().to_lowercase().contains(&term);
            let name_matches = user.displayname.as_deref().is_some_and(|name| name.to_lowercase().contains(&term));
            if !id_matches && !name_matches {
                continue;
            }
            if results.len() == limit {
                return Ok((results, true));
            }
            results.push(DirectoryUser { user_id, displayname: user.displayname, avatar_url: user.avatar_url });
        }
        Ok((results, false))
    }
}
