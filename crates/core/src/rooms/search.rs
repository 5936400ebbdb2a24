//! Server-side search of room events (`POST /search`), over the rooms the user is joined to and
//! through the same visibility check as every other read.

use rempart_storage::{Membership, StoredEvent};
use ruma::{OwnedRoomId, UserId, api::client::filter::RoomEventFilter};

use super::{Rooms, visibility::VisibilityCheck};
use crate::{CoreError, Result, filter::event_matches};

/// One page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Matching events the user may see, newest first.
    pub results: Vec<StoredEvent>,
    /// Token for the next page, when there may be more.
    pub next_batch: Option<i64>,
}

const MAX_RESULTS: usize = 50;

impl Rooms {
    /// Searches the bodies, names and topics of events in the user's joined rooms (limited to
    /// the filter's rooms, when it names some), newest first, starting before `before`.
    pub fn search(
        &self,
        user_id: &UserId,
        term: &str,
        filter: &RoomEventFilter,
        before: Option<i64>,
    ) -> Result<SearchPage> {
        let term = term.trim();
        if term.is_empty() {
            return Err(CoreError::BadJson("search_term must not be empty".into()));
        }
        let rooms: Vec<OwnedRoomId> = self
            .store
            .user_memberships(user_id)?
            .into_iter()
            .filter(|m| m.membership == Membership::Join)
            .map(|m| m.room_id)
            .filter(|room| {
                filter.rooms.as_ref().is_none_or(|wanted| wanted.contains(room)) && !filter.not_rooms.contains(room)
            })
            .collect();
        let limit =
            filter.limit.map_or(10, |l| usize::try_from(u64::from(l)).unwrap_or(MAX_RESULTS)).clamp(1, MAX_RESULTS);
        let mut check = VisibilityCheck::new(&*self.store, user_id);
        let mut results = Vec::new();
        let mut cursor = before.unwrap_or(i64::MAX);
        // Invisible or filtered-out matches are skipped; a few rounds keep a page full without
        // scanning unboundedly.
        for _ in 0..4 {
            let raw = self.store.search_events(&rooms, term, cursor, limit)?;
            let exhausted = raw.len() < limit;
            if let Some(last) = raw.last() {
                cursor = last.stream;
            }
            results.extend(check.filter(raw)?.into_iter().filter(|e| event_matches(filter, &e.pdu)));
            if exhausted {
                return Ok(SearchPage { results, next_batch: None });
            }
            if results.len() >= limit {
                break;
            }
        }
        Ok(SearchPage { results, next_batch: Some(cursor) })
    }
}
