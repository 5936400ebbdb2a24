//! Per-user sync sections: global account data and presence.

use serde_json::{Value, json};

use super::SyncContext;
use crate::Result;

const PUSH_RULES: &str = "m.push_rules";

/// Global account data changed since the token (all of it on an initial sync). Push rules are
/// always sent whole, defaults included, on an initial sync and whenever they change, as
/// clients read them from here.
pub(crate) fn global_account_data(ctx: &SyncContext<'_>) -> Result<Vec<Value>> {
    let mut events: Vec<Value> = ctx
        .account_data
        .iter()
        .filter(|r| r.room_id.is_none() && r.stream <= ctx.now.stream && r.kind != PUSH_RULES)
        .map(|r| json!({ "type": r.kind, "content": if r.content.is_null() { json!({}) } else { r.content.clone() } }))
        .collect();
    let rules_changed =
        ctx.account_data.iter().any(|r| r.room_id.is_none() && r.kind == PUSH_RULES && r.stream <= ctx.now.stream);
    if ctx.since.is_none() || rules_changed {
        events.push(json!({ "type": PUSH_RULES, "content": { "global": ctx.push_rules.rules } }));
    }
    Ok(events)
}

/// Presence of users sharing a room with the syncing user, changed since the token.
pub(crate) fn presence(ctx: &SyncContext<'_>) -> Result<Vec<Value>> {
    if !ctx.services.config.presence.enabled {
        return Ok(vec![]);
    }
    let store = &ctx.services.store;
    // Most syncs find no presence news: one index probe says so without listing room peers.
    if ctx.since.is_some() && store.latest_presence_stream()? <= ctx.since_stream() {
        return Ok(vec![]);
    }
    let users = store.users_sharing_rooms(&ctx.identity.user_id)?;
    let now = rempart_types::time::now_millis();
    Ok(store
        .presence_since(&users, ctx.since_stream())?
        .into_iter()
        .filter(|(_, _, _, _, stream)| *stream <= ctx.now.stream)
        .map(|(user_id, presence, status_msg, last_active, _)| {
            let presence = crate::presence::effective_presence(&presence, last_active, now);
            let mut content = json!({
                "presence": presence,
                "last_active_ago": now.saturating_sub(last_active),
                "currently_active": presence == "online",
            });
            if let Some(status) = status_msg {
                content["status_msg"] = status.into();
            }
            json!({ "type": "m.presence", "sender": user_id, "content": content })
        })
        .collect())
}
