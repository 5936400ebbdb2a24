//! The one place that decides whether a user may see a room event or a room's state.
//!
//! Every read path (sync, `/messages`, `/context`, `/event`, `/state`, `/members`, search)
//! goes through [`VisibilityCheck`]. The rules are the spec's history visibility rules:
//! `world_readable` is visible to anyone; otherwise a user sees an event if they were joined
//! when it was sent, or invited for `invited`, or — for `shared` — if they joined at any point
//! after it was sent (so history stays readable after leaving, up to the leave). A user always
//! sees their own membership events.

use std::collections::HashMap;

use rempart_storage::{Membership, Storage, StoredEvent};
use ruma::{
    OwnedRoomId, RoomId, UserId,
    events::{StateEventType, TimelineEventType},
};

use crate::Result;

/// History visibility settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryVisibility {
    /// Anyone, even non-members.
    WorldReadable,
    /// Members, for all history, while they are joined.
    Shared,
    /// Members, from the point they were invited.
    Invited,
    /// Members, from the point they joined.
    Joined,
}

impl HistoryVisibility {
    fn parse(s: &str) -> Self {
        match s {
            "world_readable" => Self::WorldReadable,
            "invited" => Self::Invited,
            "joined" => Self::Joined,
            // Unknown values fall back to the spec default.
            _ => Self::Shared,
        }
    }

    fn openness(self) -> u8 {
        match self {
            Self::WorldReadable => 3,
            Self::Shared => 2,
            Self::Invited => 1,
            Self::Joined => 0,
        }
    }
}

/// A per-request visibility evaluator for one user, caching what it looks up.
pub struct VisibilityCheck<'a> {
    store: &'a dyn Storage,
    user_id: &'a UserId,
    current: HashMap<OwnedRoomId, Option<Membership>>,
    joined_until: HashMap<OwnedRoomId, Option<i64>>,
    visibility_by_group: HashMap<i64, HistoryVisibility>,
    membership_by_group: HashMap<i64, Option<Membership>>,
}

impl<'a> VisibilityCheck<'a> {
    /// An evaluator for `user_id`.
    pub fn new(store: &'a dyn Storage, user_id: &'a UserId) -> Self {
        Self {
            store,
            user_id,
            current: HashMap::new(),
            joined_until: HashMap::new(),
            visibility_by_group: HashMap::new(),
            membership_by_group: HashMap::new(),
        }
    }

    /// The user's current membership in a room.
    pub fn current_membership(&mut self, room_id: &RoomId) -> Result<Option<Membership>> {
        if let Some(m) = self.current.get(room_id) {
            return Ok(*m);
        }
        let m = self.store.membership(room_id, self.user_id)?.map(|r| r.membership);
        self.current.insert(room_id.to_owned(), m);
        Ok(m)
    }

    fn visibility_at(&mut self, group: i64) -> Result<HistoryVisibility> {
        if let Some(v) = self.visibility_by_group.get(&group) {
            return Ok(*v);
        }
        let visibility = match self.store.state_group_lookup(group, &StateEventType::RoomHistoryVisibility, "")? {
            Some(event_id) => match self.store.get_event(&event_id)? {
                Some(event) => HistoryVisibility::parse(
                    event.pdu.content_value().get("history_visibility").and_then(|v| v.as_str()).unwrap_or("shared"),
                ),
                None => HistoryVisibility::Shared,
            },
            None => HistoryVisibility::Shared,
        };
        self.visibility_by_group.insert(group, visibility);
        Ok(visibility)
    }

    fn membership_at(&mut self, group: i64) -> Result<Option<Membership>> {
        if let Some(m) = self.membership_by_group.get(&group) {
            return Ok(*m);
        }
        let membership =
            match self.store.state_group_lookup(group, &StateEventType::RoomMember, self.user_id.as_str())? {
                Some(event_id) => self.store.get_event(&event_id)?.and_then(|e| {
                    e.pdu.content_value().get("membership").and_then(|v| v.as_str()).and_then(Membership::parse)
                }),
                None => None,
            };
        self.membership_by_group.insert(group, membership);
        Ok(membership)
    }

    /// Events before the returned stream position were followed by a join of the user: all of
    /// them while the user is joined, those before the leave when the user joined and then
    /// left. `None` when the user's latest membership follows no join.
    fn joined_until(&mut self, room_id: &RoomId) -> Result<Option<i64>> {
        if let Some(until) = self.joined_until.get(room_id) {
            return Ok(*until);
        }
        let until = match self.store.membership(room_id, self.user_id)? {
            Some(record) if record.membership == Membership::Join => Some(i64::MAX),
            Some(record) if matches!(record.membership, Membership::Leave | Membership::Ban) => {
                match self.store.get_event(&record.event_id)?.and_then(|e| e.state_group_before) {
                    Some(before) if self.membership_at(before)? == Some(Membership::Join) => Some(record.stream),
                    _ => None,
                }
            }
            _ => None,
        };
        self.joined_until.insert(room_id.to_owned(), until);
        Ok(until)
    }

    /// The history visibility that applies to an event: the setting in force before it, or
    /// for a change of the setting, the more open of the old and new values (so members see
    /// the change itself).
    fn visibility_for(&mut self, event: &StoredEvent) -> Result<HistoryVisibility> {
        let after = self.visibility_at(event.state_group)?;
        let Some(before_group) = event.state_group_before else { return Ok(after) };
        let before = self.visibility_at(before_group)?;
        if event.pdu.kind == TimelineEventType::RoomHistoryVisibility && after.openness() > before.openness() {
            return Ok(after);
        }
        Ok(before)
    }

    /// Whether the user may see this event.
    pub fn can_see(&mut self, event: &StoredEvent) -> Result<bool> {
        let pdu = &event.pdu;
        if pdu.kind == TimelineEventType::RoomMember && pdu.state_key.as_deref() == Some(self.user_id.as_str()) {
            return Ok(true);
        }
        let visibility = self.visibility_for(event)?;
        if visibility == HistoryVisibility::WorldReadable {
            return Ok(true);
        }
        match self.membership_at(event.state_group)? {
            Some(Membership::Join) => return Ok(true),
            // An invite opens history only where the setting says `invited` (spec).
            Some(Membership::Invite) if visibility == HistoryVisibility::Invited => return Ok(true),
            _ => {}
        }
        if visibility == HistoryVisibility::Shared {
            return Ok(self.joined_until(&pdu.room_id)?.is_some_and(|until| event.stream < until));
        }
        Ok(false)
    }

    /// Keeps the events the user may see, in order.
    pub fn filter(&mut self, events: Vec<StoredEvent>) -> Result<Vec<StoredEvent>> {
        let mut visible = Vec::with_capacity(events.len());
        for event in events {
            if self.can_see(&event)? {
                visible.push(event);
            }
        }
        Ok(visible)
    }

    /// The state group whose state the user may read, or `None` when they may read none:
    /// current state while joined (or when the room is world readable), the state when they
    /// left otherwise.
    pub fn readable_state_group(&mut self, room_id: &RoomId) -> Result<Option<i64>> {
        let Some(current_group) = self.store.current_state_group(room_id)? else { return Ok(None) };
        if self.current_membership(room_id)? == Some(Membership::Join) {
            return Ok(Some(current_group));
        }
        if self.visibility_at(current_group)? == HistoryVisibility::WorldReadable {
            return Ok(Some(current_group));
        }
        if let Some(record) = self.store.membership(room_id, self.user_id)?
            && matches!(record.membership, Membership::Leave | Membership::Ban)
            && let Some(event) = self.store.get_event(&record.event_id)?
            && let Some(before) = event.state_group_before
            && self.membership_at(before)? == Some(Membership::Join)
        {
            return Ok(Some(event.state_group));
        }
        Ok(None)
    }
}
