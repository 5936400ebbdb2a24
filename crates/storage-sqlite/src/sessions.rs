//! Session history ([`SessionHistoryStore`]), and the upsert that records a use of a session,
//! called by `accounts` inside the transaction that updates the device's last-seen fields.

use rempart_storage::{LAST_SEEN_GRANULARITY_MS, Result, SessionHistoryStore, SessionUse};
use ruma::{DeviceId, OwnedDeviceId, UserId};
use rusqlite::{Connection, params};

use crate::{SqliteStore, backend, to_i64, to_u64};

/// Longest user agent kept. A client picks its own header: without a bound, one token could
/// store arbitrarily large rows.
const MAX_USER_AGENT_BYTES: usize = 512;

/// Records that a session was used from `ip` with `user_agent` at `now`, as one cheap statement:
/// a new pair is inserted, a known one has `last_seen` moved only when it is at least
/// [`LAST_SEEN_GRANULARITY_MS`] old, so repeated requests write nothing.
pub(crate) fn record_use(
    tx: &Connection,
    user_id: &UserId,
    device_id: &DeviceId,
    ip: Option<&str>,
    user_agent: Option<&str>,
    now: i64,
) -> Result<()> {
    // Unknown values are stored as '' rather than NULL: NULLs are never equal, so they would
    // defeat the conflict target and add a row per request.
    let user_agent = user_agent.map(|agent| truncate(agent, MAX_USER_AGENT_BYTES)).unwrap_or("");
    let granularity = to_i64(LAST_SEEN_GRANULARITY_MS)?;
    tx.prepare_cached(
        "INSERT INTO session_history (user_id, device_id, ip, user_agent, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (user_id, device_id, ip, user_agent) DO UPDATE SET last_seen = excluded.last_seen
         WHERE excluded.last_seen >= session_history.last_seen + ?6",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![user_id.as_str(), device_id.as_str(), ip.unwrap_or(""), user_agent, now, granularity])
    })
    .map_err(backend)?;
    // A client choosing a new user agent (or address) for every request would otherwise add a
    // row per request: a session keeps its newest MAX_PLACES_PER_SESSION places. Cheap when
    // under the bound (the primary key's prefix covers the count).
    let places: i64 = tx
        .prepare_cached("SELECT count(*) FROM session_history WHERE user_id = ?1 AND device_id = ?2")
        .and_then(|mut stmt| stmt.query_row([user_id.as_str(), device_id.as_str()], |r| r.get(0)))
        .map_err(backend)?;
    if places > MAX_PLACES_PER_SESSION {
        tx.prepare_cached(
            "DELETE FROM session_history WHERE user_id = ?1 AND device_id = ?2 AND (ip, user_agent) IN
                 (SELECT ip, user_agent FROM session_history WHERE user_id = ?1 AND device_id = ?2
                  ORDER BY last_seen LIMIT ?3)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![user_id.as_str(), device_id.as_str(), places - MAX_PLACES_PER_SESSION])
        })
        .map_err(backend)?;
    }
    Ok(())
}

/// Most (IP address, user agent) pairs kept per session; the oldest go first.
const MAX_PLACES_PER_SESSION: i64 = 200;

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let end = (0..=max).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    &text[..end]
}

/// A `session_history` row as read.
type UseRow = (String, String, String, i64, i64);

fn known(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl SessionHistoryStore for SqliteStore {
    fn session_history(&self, user_id: &UserId) -> Result<Vec<SessionUse>> {
        let rows: Vec<UseRow> = self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT device_id, ip, user_agent, first_seen, last_seen FROM session_history
                     WHERE user_id = ?1 ORDER BY device_id, last_seen DESC, ip, user_agent",
                )
                .map_err(backend)?;
            stmt.query_map([user_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(device_id, ip, user_agent, first_seen, last_seen)| {
                Ok(SessionUse {
                    device_id: OwnedDeviceId::from(device_id),
                    ip: known(ip),
                    user_agent: known(user_agent),
                    first_seen: to_u64(first_seen)?,
                    last_seen: to_u64(last_seen)?,
                })
            })
            .collect()
    }

    fn prune_session_history(&self, before: u64) -> Result<u64> {
        let before = to_i64(before)?;
        self.write(|tx| {
            let removed = tx.execute("DELETE FROM session_history WHERE last_seen < ?1", [before]).map_err(backend)?;
            Ok(u64::try_from(removed).unwrap_or(u64::MAX))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("Element/1.0", 512), "Element/1.0");
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate("abc", 0), "");
    }
}
