//! Push rules and notification counts.
//!
//! A user's rules are kept as the global account data `m.push_rules` (`{ "global": ruleset }`),
//! always merged over ruma's server-default ruleset when read: the defaults keep their place
//! and take the user's `enabled` and `actions`; the user's own rules go where the spec puts
//! them (override rules after `.m.rule.master`, other kinds before the defaults), which is
//! ruma's `Ruleset::update_with_server_default`. A stored ruleset that no longer parses falls back to the defaults rather than failing every request.
//!
//! [`unread_counts`] evaluates the rules over a room's recent events for sync's
//! `unread_notifications`.

use std::{
    collections::HashMap,
    future::Future,
    sync::Arc,
    task::{Context, Poll, Waker},
};

use rempart_storage::{Membership, StoredEvent};
use ruma::{
    OwnedRoomId, OwnedUserId, RoomId, UInt, UserId,
    events::StateEventType,
    push::{
        Action, AnyPushRule, InsertPushRuleError, NewPushRule, PushConditionRoomCtx, RemovePushRuleError, RuleKind,
        Ruleset,
    },
    serde::Raw,
};
use serde_json::{Value, json};

use crate::{CoreError, Result, Services, rooms::visibility::VisibilityCheck};

/// Global account data type holding the user's push rules.
pub const PUSH_RULES_TYPE: &str = "m.push_rules";

/// How many of a room's newest unread events [`unread_counts`] evaluates: counts stop growing
/// at this number, which is what clients show as "99+" anyway.
pub const MAX_UNREAD_SCAN: usize = 100;

/// Rule kinds of the spec's `global` scope.
const KINDS: &[&str] = &["override", "content", "room", "sender", "underride"];

fn check_kind(kind: &RuleKind) -> Result<()> {
    if KINDS.contains(&kind.as_str()) {
        Ok(())
    } else {
        Err(CoreError::InvalidParam(format!("unknown push rule kind {kind}")))
    }
}

fn rule_not_found() -> CoreError {
    CoreError::NotFound("push rule not found".into())
}

/// Merges a stored ruleset over the server defaults (see the module documentation).
fn merge(user_id: &UserId, mut stored: Ruleset) -> Ruleset {
    stored.update_with_server_default(Ruleset::server_default(user_id));
    stored
}

/// Polls a future once. Rule evaluation is `async` in ruma only for thread subscriptions
/// (MSC4306), which Rempart does not provide, so it is always ready.
fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

impl Services {
    /// The user's effective push rules.
    pub fn push_rules(&self, user_id: &UserId) -> Result<Ruleset> {
        let stored = self.store.get_account_data(user_id, None, PUSH_RULES_TYPE)?;
        let stored = match stored.and_then(|mut content| content.get_mut("global").map(Value::take)) {
            Some(global) => serde_json::from_value::<Ruleset>(global).unwrap_or_else(|error| {
                tracing::warn!(%user_id, %error, "stored push rules do not parse; using the defaults");
                Ruleset::new()
            }),
            None => Ruleset::new(),
        };
        Ok(merge(user_id, stored))
    }

    fn save_push_rules(&self, user_id: &UserId, rules: &Ruleset) -> Result<()> {
        let saved = self.write_account_data(user_id, None, PUSH_RULES_TYPE, &json!({ "global": rules }));
        self.push_rules_cache.forget(user_id);
        saved
    }

    /// The user's effective push rules with their fingerprint, from the cache when they have
    /// not changed: sync needs them at every response, and building them (the stored rules
    /// parsed and merged over the server defaults) costs more than the rest of a small sync.
    pub fn cached_push_rules(&self, user_id: &UserId) -> Result<Arc<CachedRules>> {
        if let Some(cached) = self.push_rules_cache.get(user_id) {
            return Ok(cached);
        }
        let generation = self.push_rules_cache.generation();
        let rules = self.push_rules(user_id)?;
        let cached = Arc::new(CachedRules { fingerprint: rules_fingerprint(&rules), rules });
        self.push_rules_cache.put(user_id, generation, Arc::clone(&cached));
        Ok(cached)
    }

    /// One rule.
    pub fn push_rule(&self, user_id: &UserId, kind: RuleKind, rule_id: &str) -> Result<AnyPushRule> {
        check_kind(&kind)?;
        let rules = self.push_rules(user_id)?;
        rules.get(kind, rule_id).map(|rule| rule.to_owned()).ok_or_else(rule_not_found)
    }

    /// Creates or replaces a user rule, placed relative to `before` / `after` when given.
    pub fn set_push_rule(
        &self,
        user_id: &UserId,
        rule: NewPushRule,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        check_kind(&rule.kind())?;
        self.update_account_data_document(|| {
            let mut rules = self.push_rules(user_id)?;
            rules.insert(rule, after, before).map_err(|error| match error {
                InsertPushRuleError::UnknownRuleId => {
                    CoreError::NotFound("the before or after rule does not exist".into())
                }
                other => CoreError::InvalidParam(other.to_string()),
            })?;
            self.save_push_rules(user_id, &rules)
        })
    }

    /// Deletes a user rule; server-default rules cannot be deleted.
    pub fn delete_push_rule(&self, user_id: &UserId, kind: RuleKind, rule_id: &str) -> Result<()> {
        check_kind(&kind)?;
        self.update_account_data_document(|| {
            let mut rules = self.push_rules(user_id)?;
            rules.remove(kind, rule_id).map_err(|error| match error {
                RemovePushRuleError::ServerDefault => {
                    CoreError::InvalidParam("server-default rules cannot be deleted".into())
                }
                _ => rule_not_found(),
            })?;
            self.save_push_rules(user_id, &rules)
        })
    }

    /// Enables or disables a rule.
    pub fn set_push_rule_enabled(&self, user_id: &UserId, kind: RuleKind, rule_id: &str, enabled: bool) -> Result<()> {
        check_kind(&kind)?;
        self.update_account_data_document(|| {
            let mut rules = self.push_rules(user_id)?;
            rules.set_enabled(kind, rule_id, enabled).map_err(|_| rule_not_found())?;
            self.save_push_rules(user_id, &rules)
        })
    }

    /// Replaces a rule's actions.
    pub fn set_push_rule_actions(
        &self,
        user_id: &UserId,
        kind: RuleKind,
        rule_id: &str,
        actions: Vec<Action>,
    ) -> Result<()> {
        check_kind(&kind)?;
        self.update_account_data_document(|| {
            let mut rules = self.push_rules(user_id)?;
            rules.set_actions(kind, rule_id, actions).map_err(|_| rule_not_found())?;
            self.save_push_rules(user_id, &rules)
        })
    }

    /// What push conditions need to know about a room for one user.
    fn push_context(&self, user_id: &UserId, room_id: &RoomId) -> Result<PushConditionRoomCtx> {
        let joined = self.store.joined_member_count(room_id)?;
        let display_name = self
            .store
            .current_state_event(room_id, &StateEventType::RoomMember, user_id.as_str())?
            .and_then(|e| e.pdu.content_value().get("displayname").and_then(Value::as_str).map(ToOwned::to_owned))
            .unwrap_or_else(|| user_id.localpart().to_owned());
        let context = PushConditionRoomCtx::new(
            room_id.to_owned(),
            UInt::try_from(joined).unwrap_or(UInt::MAX),
            user_id.to_owned(),
            display_name,
        );
        Ok(context.with_power_levels(self.rooms.power_levels(room_id)?.into()))
    }
}

/// Notification and highlight counts of a joined room for `user_id`: the user's push rules
/// evaluated over the events after their newest main-timeline read receipt (`m.read` or
/// `m.read.private`), or after they joined when they have none or it predates the join. Their
/// own events never count and only events they may see are considered. Only the newest
/// [`MAX_UNREAD_SCAN`] events are evaluated. Rooms the user is not joined to count `(0, 0)`.
pub fn unread_counts(services: &Services, user_id: &UserId, room_id: &RoomId) -> Result<(u64, u64)> {
    let rules = services.push_rules(user_id)?;
    unread_counts_with_rules(services, &rules, rules_fingerprint(&rules), user_id, room_id, None)
}

/// Events of a room a caller already read and checked against the user's visibility: every
/// event the user may see with `after < stream <= until`, oldest first.
pub struct SeenEvents<'a> {
    /// Exclusive start of the range.
    pub after: i64,
    /// Inclusive end of the range; counts are brought up to it.
    pub until: i64,
    /// The events.
    pub events: &'a [StoredEvent],
}

/// [`unread_counts`] with rules loaded once by the caller (sync evaluates many rooms), and
/// their [`rules_fingerprint`].
///
/// Counts are tallied incrementally in [`UnreadTallies`]: an event's rules are evaluated once
/// for each reader, not again at every sync, as long as the read position and the rules stay
/// the same. Each event is judged with the room as it was when it was first counted (member
/// count, display name), as Synapse does when it evaluates rules at send time.
pub fn unread_counts_with_rules(
    services: &Services,
    rules: &Ruleset,
    rules_key: u64,
    user_id: &UserId,
    room_id: &RoomId,
    seen: Option<SeenEvents<'_>>,
) -> Result<(u64, u64)> {
    let store = &services.store;
    let Some(membership) = store.membership(room_id, user_id)?.filter(|m| m.membership == Membership::Join) else {
        return Ok((0, 0));
    };
    let after = services.read_up_to(user_id, room_id)?.map_or(membership.stream, |read| read.max(membership.stream));
    let until = match &seen {
        Some(seen) => seen.until,
        None => store.max_stream()?,
    };
    let mut tally = services
        .unread_tallies
        .get(user_id, room_id)
        .filter(|t| t.after == after && t.rules_key == rules_key && t.counted_up_to <= until)
        .unwrap_or(Tally { after, rules_key, counted_up_to: after, notifications: 0, highlights: 0 });
    if tally.counted_up_to < until {
        let read;
        let events: Vec<&StoredEvent> = match seen.filter(|seen| seen.after <= tally.counted_up_to) {
            Some(seen) => seen.events.iter().filter(|e| e.stream > tally.counted_up_to).collect(),
            None => {
                let (events, _) = store.timeline_latest(room_id, tally.counted_up_to, until, MAX_UNREAD_SCAN)?;
                read = VisibilityCheck::new(&**store, user_id).filter(events)?;
                read.iter().collect()
            }
        };
        // The user's own events never count.
        let events: Vec<&StoredEvent> = events.into_iter().filter(|e| e.pdu.sender != user_id).collect();
        if !events.is_empty() {
            let context = services.push_context(user_id, room_id)?;
            for event in events {
                let Ok(json) = serde_json::value::to_raw_value(&event.pdu.to_sync_event(None)) else { continue };
                let raw: Raw<Value> = Raw::from_json(json);
                let actions = now_or_never(rules.get_actions(&raw, &context)).unwrap_or(&[]);
                if actions.iter().any(Action::should_notify) {
                    tally.notifications += 1;
                }
                if actions.iter().any(Action::is_highlight) {
                    tally.highlights += 1;
                }
            }
        }
        tally.counted_up_to = until;
        services.unread_tallies.put(user_id, room_id, tally);
    }
    Ok((tally.notifications, tally.highlights))
}

/// A fingerprint of a ruleset: counts tallied under other rules are recounted.
pub fn rules_fingerprint(rules: &Ruleset) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(&serde_json::to_vec(rules).unwrap_or_default());
    hasher.finish()
}

/// A user's effective push rules and their [`rules_fingerprint`].
#[derive(Debug)]
pub struct CachedRules {
    /// The rules.
    pub rules: Ruleset,
    /// Their fingerprint.
    pub fingerprint: u64,
}

/// Effective push rules per user. A change of a user's rules forgets their entry and moves the
/// generation on, so that a computation that started before the change is not stored after it.
#[derive(Default)]
pub struct PushRulesCache {
    entries: std::sync::Mutex<HashMap<OwnedUserId, Arc<CachedRules>>>,
    generation: std::sync::atomic::AtomicU64,
}

/// Users whose rules are kept before the cache is cleared.
const MAX_CACHED_RULES: usize = 100_000;

impl PushRulesCache {
    fn get(&self, user_id: &UserId) -> Option<Arc<CachedRules>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(user_id).cloned()
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn put(&self, user_id: &UserId, computed_at: u64, rules: Arc<CachedRules>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `forget` takes too: no change landed since computing.
        if self.generation() != computed_at {
            return;
        }
        if entries.len() >= MAX_CACHED_RULES {
            entries.clear();
        }
        entries.insert(user_id.to_owned(), rules);
    }

    fn forget(&self, user_id: &UserId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        entries.remove(user_id);
    }
}

/// Notification counts already evaluated, per user and room.
#[derive(Clone, Copy, Debug)]
pub struct Tally {
    after: i64,
    rules_key: u64,
    counted_up_to: i64,
    notifications: u64,
    highlights: u64,
}

/// The tallies of every (user, room) counted so far; forgotten wholesale when they grow past a
/// bound (they are only a cache: counting starts again from the read position).
#[derive(Default)]
pub struct UnreadTallies {
    tallies: std::sync::Mutex<HashMap<(OwnedUserId, OwnedRoomId), Tally>>,
}

/// How many (user, room) tallies are kept before they are dropped.
const MAX_TALLIES: usize = 200_000;

impl UnreadTallies {
    fn get(&self, user_id: &UserId, room_id: &RoomId) -> Option<Tally> {
        let tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        tallies.get(&(user_id.to_owned(), room_id.to_owned())).copied()
    }

    fn put(&self, user_id: &UserId, room_id: &RoomId, tally: Tally) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        if tallies.len() >= MAX_TALLIES {
            tallies.clear();
        }
        tallies.insert((user_id.to_owned(), room_id.to_owned()), tally);
    }
}

#[cfg(test)]
mod tests {
    use ruma::{
        push::{NewConditionalPushRule, NewPushRule, RuleKind, Ruleset},
        user_id,
    };

    use super::{merge, now_or_never};

    #[test]
    fn stored_rules_keep_their_state_and_place() {
        let user = user_id!("@alice:localhost");
        let mut rules = merge(user, Ruleset::new());
        let mine = NewConditionalPushRule::new("mine".into(), vec![], vec![]);
        rules.insert(NewPushRule::Override(mine), None, None).expect("insert");
        rules.set_enabled(RuleKind::Override, ".m.rule.master", true).expect("master");
        let stored: Ruleset = serde_json::from_value(serde_json::to_value(&rules).expect("json")).expect("parse");

        let merged = merge(user, stored);
        let ids: Vec<&str> = merged.override_.iter().map(|r| r.rule_id.as_str()).take(2).collect();
        assert_eq!(ids, [".m.rule.master", "mine"]);
        assert!(merged.override_.iter().next().is_some_and(|master| master.enabled));
        assert_eq!(merged.override_.len(), merge(user, Ruleset::new()).override_.len() + 1);
    }

    #[test]
    fn ready_futures_resolve() {
        assert_eq!(now_or_never(async { 7 }), Some(7));
    }
}
