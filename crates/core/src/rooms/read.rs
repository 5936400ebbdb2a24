//! Reading rooms on behalf of a user: single events, pagination, context, state and members.
//! Every result passes through [`VisibilityCheck`](super::visibility::VisibilityCheck).
//!
//! Pagination tokens are stream positions: a token `T` lies between the event at `T` and the
//! next one, so paginating backwards from `T` returns events at or before `T`.

use std::collections::HashSet;

use rempart_storage::{Membership, StoredEvent};
use ruma::{
    EventId, OwnedEventId, OwnedUserId, RoomId, UserId, api::client::filter::RoomEventFilter, events::StateEventType,
};

use super::{Rooms, visibility::VisibilityCheck};
use crate::{CoreError, Result, filter::event_matches};

/// Pagination direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards older events.
    Backward,
    /// Towards newer events.
    Forward,
}

/// What a client asks `/messages` for.
#[derive(Debug, Clone, Copy)]
pub struct MessagesQuery<'a> {
    /// Token to start from; the end (backwards) or the start (forwards) of the room when absent.
    pub from: Option<i64>,
    /// Token to stop at.
    pub to: Option<i64>,
    /// Direction.
    pub direction: Direction,
    /// Most events to return.
    pub limit: usize,
    /// Event filter.
    pub filter: &'a RoomEventFilter,
}

/// An event with what surrounds it, for `/context`.
#[derive(Debug, Clone)]
pub struct EventContext {
    /// The event asked for.
    pub event: StoredEvent,
    /// Visible events before it, newest first.
    pub before: Vec<StoredEvent>,
    /// Visible events after it, oldest first.
    pub after: Vec<StoredEvent>,
    /// Room state at the last event returned.
    pub state: Vec<StoredEvent>,
}

/// One page of `/messages`.
#[derive(Debug, Clone)]
pub struct MessagesPage {
    /// Events in the order of pagination.
    pub chunk: Vec<StoredEvent>,
    /// Token at the start of the page.
    pub start: i64,
    /// Token to continue from; `None` when there is nothing more.
    pub end: Option<i64>,
    /// Member events of the senders, when lazy loading was requested.
    pub state: Vec<StoredEvent>,
}

const MAX_PAGE: usize = 1000;

impl Rooms {
    fn ensure_may_read_room(&self, check: &mut VisibilityCheck<'_>, room_id: &RoomId) -> Result<()> {
        self.room(room_id)?;
        if check.readable_state_group(room_id)?.is_some() || check.current_membership(room_id)?.is_some() {
            return Ok(());
        }
        Err(CoreError::Forbidden("you are not a member of this room and it is not world readable".into()))
    }

    /// One event, if the user may see it.
    pub fn event_for_user(&self, user_id: &UserId, room_id: &RoomId, event_id: &EventId) -> Result<StoredEvent> {
        let not_found = || CoreError::NotFound("event not found".into());
        let event = self.store.get_event(event_id)?.filter(|e| e.pdu.room_id == room_id).ok_or_else(not_found)?;
        let mut check = VisibilityCheck::new(&*self.store, user_id);
        if check.can_see(&event)? { Ok(event) } else { Err(not_found()) }
    }

    /// Paginates a room's timeline.
    pub fn messages(&self, user_id: &UserId, room_id: &RoomId, query: MessagesQuery<'_>) -> Result<MessagesPage> {
        let MessagesQuery { from, to, direction, limit, filter } = query;
        let mut check = VisibilityCheck::new(&*self.store, user_id);
        self.ensure_may_read_room(&mut check, room_id)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let start = match (from, direction) {
            (Some(token), _) => token,
            (None, Direction::Backward) => self.store.max_stream()?,
            (None, Direction::Forward) => 0,
        };
        let mut raw = match direction {
            Direction::Backward => self.store.timeline_backward(room_id, start.saturating_add(1), limit)?,
            Direction::Forward => self.store.timeline_forward(room_id, start, limit)?,
        };
        let mut exhausted = raw.len() < limit;
        if let Some(to) = to {
            let before = raw.len();
            raw.retain(|e| match direction {
                Direction::Backward => e.stream > to,
                Direction::Forward => e.stream <= to,
            });
            // Reaching `to` ends the pagination: no `end` token.
            exhausted |= raw.len() < before;
        }
        let end = match (raw.last(), exhausted) {
            (Some(last), false) => Some(match direction {
                Direction::Backward => last.stream - 1,
                Direction::Forward => last.stream,
            }),
            _ => None,
        };
        let visible: Vec<StoredEvent> =
            check.filter(raw)?.into_iter().filter(|e| event_matches(filter, &e.pdu)).collect();
        let state =
            if filter.lazy_load_options.is_disabled() { vec![] } else { self.member_events_for(&visible, user_id)? };
        Ok(MessagesPage { chunk: visible, start, end, state })
    }

    /// The member events of the senders of `events` (and of the reader), as of the newest of
    /// them, for lazy loading: what the room looked like at that point, not what it looks like
    /// now (a member who left must not learn later profile changes).
    pub(crate) fn member_events_for(&self, events: &[StoredEvent], user_id: &UserId) -> Result<Vec<StoredEvent>> {
        let Some(group) = events.iter().max_by_key(|e| e.stream).map(|e| e.state_group) else { return Ok(vec![]) };
        let mut senders: Vec<OwnedUserId> = events.iter().map(|e| e.pdu.sender.clone()).collect();
        senders.push(user_id.to_owned());
        let mut seen = HashSet::new();
        let mut ids = vec![];
        for sender in senders {
            if seen.insert(sender.clone())
                && let Some(id) = self.store.state_group_lookup(group, &StateEventType::RoomMember, sender.as_str())?
            {
                ids.push(id);
            }
        }
        Ok(self.store.get_events(&ids)?)
    }

    /// An event with up to `limit` visible events around it.
    pub fn context(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
        limit: usize,
        filter: &RoomEventFilter,
    ) -> Result<EventContext> {
        let event = self.event_for_user(user_id, room_id, event_id)?;
        let mut check = VisibilityCheck::new(&*self.store, user_id);
        let limit = limit.min(MAX_PAGE);
        let keep = |events: Vec<StoredEvent>| -> Vec<StoredEvent> {
            events.into_iter().filter(|e| event_matches(filter, &e.pdu)).collect()
        };
        let before = keep(check.filter(self.store.timeline_backward(room_id, event.stream, limit.div_ceil(2))?)?);
        let after = keep(check.filter(self.store.timeline_forward(room_id, event.stream, limit / 2)?)?);
        // Seeing an event (one's own knock, say) does not make the room's state readable.
        let state = match check.readable_state_group(room_id)? {
            Some(_) => self.state_in_group(after.last().map_or(event.state_group, |e| e.state_group))?,
            None => vec![],
        };
        Ok(EventContext { event, before, after, state })
    }

    fn state_in_group(&self, group: i64) -> Result<Vec<StoredEvent>> {
        let ids: Vec<OwnedEventId> = self.store.state_group_entries(group)?.into_iter().map(|(_, _, id)| id).collect();
        Ok(self.store.get_events(&ids)?)
    }

    /// The room state the user may read (current while joined, as of leaving otherwise).
    pub fn state_for_user(&self, user_id: &UserId, room_id: &RoomId) -> Result<Vec<StoredEvent>> {
        self.room(room_id)?;
        let mut check = VisibilityCheck::new(&*self.store, user_id);
        match check.readable_state_group(room_id)? {
            Some(group) => self.state_in_group(group),
            None => Err(CoreError::Forbidden("you are not a member of this room".into())),
        }
    }

    /// One state event the user may read.
    pub fn state_event_for_user(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        kind: &StateEventType,
        state_key: &str,
    ) -> Result<StoredEvent> {
        self.room(room_id)?;
        let mut check = VisibilityCheck::new(&*self.store, user_id);
        let group = check
            .readable_state_group(room_id)?
            .ok_or_else(|| CoreError::Forbidden("you are not a member of this room".into()))?;
        let event_id = self
            .store
            .state_group_lookup(group, kind, state_key)?
            .ok_or_else(|| CoreError::NotFound("state event not found".into()))?;
        self.store.get_event(&event_id)?.ok_or_else(|| CoreError::NotFound("state event not found".into()))
    }

    /// Member events the user may read, at the state after `at` when given.
    pub fn members_for_user(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        at: Option<i64>,
        membership: Option<Membership>,
        not_membership: Option<Membership>,
    ) -> Result<Vec<StoredEvent>> {
        let state = match at {
            None => self.state_for_user(user_id, room_id)?,
            Some(at) => {
                let current = self.state_for_user(user_id, room_id)?;
                match self.store.latest_event_at(room_id, at)? {
                    Some(event) if VisibilityCheck::new(&*self.store, user_id).can_see(&event)? => {
                        self.state_in_group(event.state_group)?
                    }
                    _ => current,
                }
            }
        };
        Ok(state
            .into_iter()
            .filter(|e| e.pdu.kind == ruma::events::TimelineEventType::RoomMember)
            .filter(|e| {
                let m = e.pdu.content_value().get("membership").and_then(|v| v.as_str()).and_then(Membership::parse);
                membership.is_none_or(|wanted| m == Some(wanted))
                    && not_membership.is_none_or(|unwanted| m != Some(unwanted))
            })
            .collect())
    }

    /// Users currently joined to a room; only members may ask (spec: 403 otherwise).
    pub fn joined_members(&self, user_id: &UserId, room_id: &RoomId) -> Result<Vec<StoredEvent>> {
        self.room(room_id)?;
        if VisibilityCheck::new(&*self.store, user_id).current_membership(room_id)? != Some(Membership::Join) {
            return Err(CoreError::Forbidden("you are not a member of this room".into()));
        }
        self.members_for_user(user_id, room_id, None, Some(Membership::Join), None)
    }
}
