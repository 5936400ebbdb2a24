//! Sync v3: the long-poll loop and assembling the response sections. Rooms are built in
//! [`rooms`], the per-user sections in [`account`].

mod account;
mod rooms;
mod token;

use std::time::Duration;

use rempart_storage::Membership;
use ruma::api::client::filter::FilterDefinition;
use serde_json::{Map, Value, json};
pub use token::StreamToken;

use crate::{Result, Services, accounts::Identity, filter::room_included};

/// Longest a sync may wait for news.
const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// A sync request, already parsed.
#[derive(Debug, Clone)]
pub struct SyncParams {
    /// Where the client is; `None` for an initial sync.
    pub since: Option<StreamToken>,
    /// Send the full state of every room.
    pub full_state: bool,
    /// How long to wait for news.
    pub timeout: Duration,
    /// The filter.
    pub filter: FilterDefinition,
}

/// What a sync is built against.
pub(crate) struct SyncContext<'a> {
    pub services: &'a Services,
    pub identity: &'a Identity,
    pub since: Option<StreamToken>,
    pub now: StreamToken,
    pub full_state: bool,
    pub filter: &'a FilterDefinition,
    /// Account data changed since the token, read once for every section.
    pub account_data: Vec<rempart_storage::AccountDataRecord>,
    /// The user's push rules and their fingerprint, for notification counts.
    pub push_rules: std::sync::Arc<crate::push::CachedRules>,
}

impl SyncContext<'_> {
    /// The stream position changes are counted from (0 for initial syncs).
    pub fn since_stream(&self) -> i64 {
        self.since.map_or(0, |t| t.stream)
    }
}

impl Services {
    /// Runs a sync: answers at once when there is news (or for initial and full-state syncs),
    /// otherwise waits until something arrives or the timeout passes.
    pub async fn sync(&self, identity: &Identity, params: SyncParams) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + params.timeout.min(MAX_TIMEOUT);
        let mut wake = self.notifier.subscribe();
        loop {
            wake.borrow_and_update();
            // A session ended (logout, device deletion, lock, deactivation) while this sync
            // waited gets nothing more.
            self.accounts.ensure_session_alive(identity)?;
            let now = StreamToken { stream: self.store.max_stream()?, typing: self.typing.current_serial() };
            let since = params
                .since
                .map(|s| StreamToken { stream: s.stream.min(now.stream), typing: s.typing.min(now.typing) });
            // Caught up: everything sync delivers advances the stream or the typing serial, so
            // there is nothing to look for until one of them moves. A long-poll re-polled right
            // after its answer waits without building an empty response first.
            if since == Some(now) && !params.full_state && tokio::time::Instant::now() < deadline {
                if !self.wait_for_change(&mut wake, deadline).await {
                    return self.build_sync_for(identity, &params, since, now).map(|(body, _)| body);
                }
                continue;
            }
            let (body, has_news) = self.build_sync_for(identity, &params, since, now)?;
            if since.is_none() || params.full_state || has_news || tokio::time::Instant::now() >= deadline {
                return Ok(body);
            }
            if !self.wait_for_change(&mut wake, deadline).await {
                return Ok(body);
            }
        }
    }

    /// Waits until something is written, a typing notice expires or the deadline passes;
    /// `false` when the server is shutting down.
    async fn wait_for_change(
        &self,
        wake: &mut tokio::sync::watch::Receiver<u64>,
        deadline: tokio::time::Instant,
    ) -> bool {
        let typing_expiry = self.typing.next_expiry().map(tokio::time::Instant::from_std);
        let wake_at = typing_expiry.map_or(deadline, |t| t.min(deadline));
        tokio::select! {
            changed = wake.changed() => changed.is_ok(),
            () = tokio::time::sleep_until(wake_at) => true,
        }
    }

    /// Builds a response between `since` and `now`.
    fn build_sync_for(
        &self,
        identity: &Identity,
        params: &SyncParams,
        since: Option<StreamToken>,
        now: StreamToken,
    ) -> Result<(Value, bool)> {
        // Everything is read from one snapshot that holds at least `now`. The one write on the
        // way (deleting to-device messages up to `since`) touches nothing the build reads.
        self.in_snapshot(|| self.build_sync_in_snapshot(identity, params, since, now))
    }

    fn build_sync_in_snapshot(
        &self,
        identity: &Identity,
        params: &SyncParams,
        since: Option<StreamToken>,
        now: StreamToken,
    ) -> Result<(Value, bool)> {
        let account_data = self.store.account_data_since(&identity.user_id, since.map_or(0, |t| t.stream))?;
        let push_rules = self.cached_push_rules(&identity.user_id)?;
        let ctx = SyncContext {
            services: self,
            identity,
            since,
            now,
            full_state: params.full_state,
            filter: &params.filter,
            account_data,
            push_rules,
        };
        self.build_sync(&ctx)
    }

    fn build_sync(&self, ctx: &SyncContext<'_>) -> Result<(Value, bool)> {
        let user_id = &ctx.identity.user_id;
        let mut join = Map::new();
        let mut invite = Map::new();
        let mut leave = Map::new();
        let mut knock = Map::new();
        for membership in self.store.user_memberships(user_id)? {
            if !room_included(&ctx.filter.room, &membership.room_id) {
                continue;
            }
            let room_key = membership.room_id.to_string();
            match membership.membership {
                Membership::Join => {
                    if let Some(room) = rooms::joined_room(ctx, &membership)? {
                        join.insert(room_key, room);
                    }
                }
                Membership::Invite => {
                    if let Some(room) = rooms::stripped_room(ctx, &membership, "invite_state")? {
                        invite.insert(room_key, room);
                    }
                }
                Membership::Knock => {
                    if let Some(room) = rooms::stripped_room(ctx, &membership, "knock_state")? {
                        knock.insert(room_key, room);
                    }
                }
                Membership::Leave | Membership::Ban => {
                    if let Some(room) = rooms::left_room(ctx, &membership)? {
                        leave.insert(room_key, room);
                    }
                }
            }
        }
        let account_data = account::global_account_data(ctx)?;
        let presence = account::presence(ctx)?;
        let quiet = join.is_empty()
            && invite.is_empty()
            && leave.is_empty()
            && knock.is_empty()
            && account_data.is_empty()
            && presence.is_empty();
        let has_news = !quiet;
        let (device_id, since) = (&ctx.identity.device_id, ctx.since.map(|t| t.stream));
        let to_device = self.to_device_for_sync(user_id, device_id, since, ctx.now.stream)?;
        let (changed, left) = match since {
            Some(since) => self.device_list_changes(user_id, since, ctx.now.stream)?,
            None => (vec![], vec![]),
        };
        let has_news = has_news || !to_device.is_empty() || !changed.is_empty() || !left.is_empty();
        let mut one_time_key_counts = self.one_time_key_counts(user_id, device_id)?;
        // Clients read a missing count as "unknown"; zero tells them to upload keys.
        one_time_key_counts.entry("signed_curve25519".to_owned()).or_insert(0);
        let body = json!({
            "next_batch": ctx.now.to_string(),
            "rooms": { "join": join, "invite": invite, "leave": leave, "knock": knock },
            "account_data": { "events": account_data },
            "presence": { "events": presence },
            "to_device": { "events": to_device },
            "device_lists": { "changed": changed, "left": left },
            "device_one_time_keys_count": one_time_key_counts,
            "device_unused_fallback_key_types": self.unused_fallback_key_types(user_id, device_id)?,
        });
        Ok((body, has_news))
    }
}
