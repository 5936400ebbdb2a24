//! Applying client event filters (spec "Filtering") to stored events.

use rempart_types::pdu::Pdu;
use ruma::api::client::filter::{RoomEventFilter, RoomFilter, UrlFilter};

/// Matches a type against a filter pattern, where `*` matches any sequence of characters.
/// Greedy with a single backtrack point, so hostile patterns cost at most O(pattern × type),
/// never exponential time.
fn type_matches(pattern: &str, kind: &str) -> bool {
    let (pattern, kind) = (pattern.as_bytes(), kind.as_bytes());
    let (mut p, mut k) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while k < kind.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, k));
            p += 1;
        } else if p < pattern.len() && pattern[p] == kind[k] {
            p += 1;
            k += 1;
        } else if let Some((star_p, star_k)) = star {
            p = star_p + 1;
            k = star_k + 1;
            star = Some((star_p, star_k + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

/// Whether an event passes a room event filter (types, senders, URL presence). The `limit`
/// and lazy-loading options are applied by the caller.
pub fn event_matches(filter: &RoomEventFilter, pdu: &Pdu) -> bool {
    let kind = pdu.kind.to_string();
    if filter.not_types.iter().any(|p| type_matches(p, &kind)) {
        return false;
    }
    if let Some(types) = &filter.types
        && !types.iter().any(|p| type_matches(p, &kind))
    {
        return false;
    }
    if filter.not_senders.contains(&pdu.sender) {
        return false;
    }
    if let Some(senders) = &filter.senders
        && !senders.contains(&pdu.sender)
    {
        return false;
    }
    if filter.not_rooms.contains(&pdu.room_id) {
        return false;
    }
    if let Some(rooms) = &filter.rooms
        && !rooms.contains(&pdu.room_id)
    {
        return false;
    }
    if let Some(url_filter) = &filter.url_filter {
        let has_url = pdu.content_value().get("url").is_some_and(|u| u.is_string());
        return match url_filter {
            UrlFilter::EventsWithUrl => has_url,
            UrlFilter::EventsWithoutUrl => !has_url,
        };
    }
    true
}

/// Whether a room passes the room filter's room lists.
pub fn room_included(filter: &RoomFilter, room_id: &ruma::RoomId) -> bool {
    !filter.not_rooms.iter().any(|r| r == room_id)
        && filter.rooms.as_ref().is_none_or(|rooms| rooms.iter().any(|r| r == room_id))
}

#[cfg(test)]
mod tests {
    use super::type_matches;

    #[test]
    fn wildcards() {
        assert!(type_matches("m.room.*", "m.room.message"));
        assert!(type_matches("*", "anything"));
        assert!(type_matches("m.*.message", "m.room.message"));
        assert!(!type_matches("m.room.*", "m.call.invite"));
        assert!(type_matches("m.room.message", "m.room.message"));
        assert!(!type_matches("m.room.message", "m.room.messages"));
        assert!(type_matches("m.room.message*", "m.room.message"));
    }

    #[test]
    fn hostile_patterns_stay_cheap() {
        let pattern = format!("{}b", "a*".repeat(40));
        assert!(!type_matches(&pattern, &"a".repeat(200)));
    }
}
