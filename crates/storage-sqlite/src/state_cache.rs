//! A bounded in-memory cache of state-group lookups.
//!
//! A state group never changes once written, so `(group, type, state_key) -> event` can be
//! remembered; without it every history-visibility and membership check of every sync walks a
//! delta chain in SQL. The one exception is a purge, which deletes a room's groups and lets
//! SQLite hand their ids out again: [`StateLookupCache::invalidate`] empties the cache and moves
//! the generation on, and a lookup only stores its answer when the generation has not moved
//! since its read transaction began, so an answer read from before a purge is never kept.
//!
//! Two generations of entries approximate least-recently-used eviction without bookkeeping
//! on every hit: when the recent map fills up it becomes the older one and the previous older
//! one is dropped.

use std::collections::HashMap;
use std::sync::Mutex;

/// Entries per map; two maps at most. An entry is well under 200 bytes, so the cache stays
/// under a few MiB.
const ENTRIES_PER_GENERATION: usize = 8192;

/// `(group, type, state_key)`.
pub(crate) type LookupKey = (i64, String, String);

#[derive(Default)]
pub(crate) struct StateLookupCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    recent: HashMap<LookupKey, Option<String>>,
    older: HashMap<LookupKey, Option<String>>,
}

impl StateLookupCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The maps stay consistent whatever panicked while the lock was held.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The remembered answer: `Some(None)` when the group has no such entry.
    pub(crate) fn get(&self, key: &LookupKey) -> Option<Option<String>> {
        let mut inner = self.lock();
        if let Some(hit) = inner.recent.get(key) {
            return Some(hit.clone());
        }
        let hit = inner.older.remove(key)?;
        inner.remember(key.clone(), hit.clone());
        Some(hit)
    }

    /// The current generation; read it before the read transaction whose answer is stored.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Stores an answer read in a transaction that began at `generation`.
    pub(crate) fn insert(&self, generation: u64, key: LookupKey, value: Option<String>) {
        let mut inner = self.lock();
        if inner.generation == generation {
            inner.remember(key, value);
        }
    }

    /// Forgets everything; call after a commit that deleted state groups.
    pub(crate) fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.recent.clear();
        inner.older.clear();
    }
}

impl Inner {
    fn remember(&mut self, key: LookupKey, value: Option<String>) {
        if self.recent.len() >= ENTRIES_PER_GENERATION {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: i64) -> LookupKey {
        (group, "m.room.member".into(), "@a:t".into())
    }

    #[test]
    fn answers_read_before_an_invalidation_are_not_kept() {
        let cache = StateLookupCache::default();
        let before = cache.generation();
        cache.invalidate();
        cache.insert(before, key(1), Some("$old".into()));
        assert_eq!(cache.get(&key(1)), None);
        cache.insert(cache.generation(), key(1), Some("$new".into()));
        assert_eq!(cache.get(&key(1)), Some(Some("$new".into())));
        cache.insert(cache.generation(), key(2), None);
        assert_eq!(cache.get(&key(2)), Some(None), "an absent entry is remembered too");
    }

    #[test]
    fn stays_bounded_and_keeps_what_is_used() {
        let cache = StateLookupCache::default();
        let generation = cache.generation();
        cache.insert(generation, key(0), Some("$kept".into()));
        for group in 1..(3 * ENTRIES_PER_GENERATION as i64) {
            cache.insert(generation, key(group), None);
            // Touching an entry moves it to the recent map, so it survives the turnover.
            assert!(cache.get(&key(0)).is_some(), "lost at {group}");
        }
        let inner = cache.lock();
        assert!(inner.recent.len() + inner.older.len() <= 2 * ENTRIES_PER_GENERATION);
        assert!(!inner.older.contains_key(&key(1)) && !inner.recent.contains_key(&key(1)), "old entries go");
    }
}
