//! Applying client event filters (spec "Filtering") to stored events.

use rempart_types::pdu::Pdu;
use ruma::api::client::filter::{RoomEventFilter, RoomFilter, UrlFilter};

/// Matches a type against a filter pattern, where `*` matches any sequence of characters.
fn type_matches(pattern: &str, kind: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == kind,
        Some((prefix, rest)) => {
            kind.starts_with(prefix) && (rest.is_empty() || type_matches_suffix(rest, &kind[prefix.len()..]))
        }
    }
}

fn type_matches_suffix(pattern: &str, remaining: &str) -> bool {
    (0..=remaining.len()).filter(|i| remaining.is_char_boundary(*i)).any(|i| type_matches(pattern, &remaining[i..]))
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
    }
}
