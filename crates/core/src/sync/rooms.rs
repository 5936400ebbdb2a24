//! Room sections of a sync response: joined rooms (timeline, state, ephemeral, account data,
//! summary), invites and knocks (stripped state), and rooms left.

use std::collections::{BTreeMap, HashSet};

use rempart_storage::{Membership, MembershipRecord, StoredEvent};
use ruma::{
    OwnedEventId, OwnedUserId,
    events::{StateEventType, TimelineEventType},
};
use serde_json::{Map, Value, json};

use super::SyncContext;
use crate::{
    Result,
    events::{Viewer, client_event},
    filter::event_matches,
    rooms::visibility::VisibilityCheck,
};

const DEFAULT_TIMELINE_LIMIT: usize = 10;
const MAX_TIMELINE_LIMIT: usize = 100;

/// Stripped state types shown with invites and knocks (spec recommendation).
const STRIPPED_TYPES: &[&str] = &[
    "m.room.create",
    "m.room.name",
    "m.room.avatar",
    "m.room.topic",
    "m.room.join_rules",
    "m.room.canonical_alias",
    "m.room.encryption",
];

struct TimelineSlice {
    events: Vec<StoredEvent>,
    /// The timeline filter left out none of the visible events.
    unfiltered: bool,
    limited: bool,
    prev_batch: i64,
    /// State group before the first event of the slice (state at the timeline's start).
    start_group: Option<i64>,
}

fn timeline_limit(ctx: &SyncContext<'_>) -> usize {
    ctx.filter
        .room
        .timeline
        .limit
        .map_or(DEFAULT_TIMELINE_LIMIT, |l| usize::try_from(u64::from(l)).unwrap_or(MAX_TIMELINE_LIMIT))
        .min(MAX_TIMELINE_LIMIT)
}

fn timeline(ctx: &SyncContext<'_>, membership: &MembershipRecord, after: i64, until: i64) -> Result<TimelineSlice> {
    let store = &ctx.services.store;
    let (raw, limited) = store.timeline_latest(&membership.room_id, after, until, timeline_limit(ctx))?;
    let start_group = match raw.first() {
        Some(first) => first.state_group_before,
        None => store.latest_event_at(&membership.room_id, until)?.map(|e| e.state_group),
    };
    let prev_batch = raw.first().map_or(until, |e| e.stream - 1);
    let mut check = VisibilityCheck::new(&**store, &ctx.identity.user_id);
    let visible = check.filter(raw)?;
    let visible_count = visible.len();
    let events: Vec<StoredEvent> =
        visible.into_iter().filter(|e| event_matches(&ctx.filter.room.timeline, &e.pdu)).collect();
    Ok(TimelineSlice { unfiltered: events.len() == visible_count, events, limited, prev_batch, start_group })
}

fn viewer<'a>(ctx: &'a SyncContext<'_>) -> Viewer<'a> {
    Viewer { user_id: &ctx.identity.user_id, device_id: Some(&ctx.identity.device_id) }
}

fn serialize(ctx: &SyncContext<'_>, events: &[StoredEvent]) -> Vec<Value> {
    events.iter().map(|e| client_event(&*ctx.services.store, e, viewer(ctx), false)).collect()
}

/// State for the `state` section: everything at the timeline's start when `full`, else only
/// what changed since the token; minus events already in the timeline; with lazy-loaded
/// members trimmed to the timeline's senders.
fn state_section(ctx: &SyncContext<'_>, slice: &TimelineSlice, full: bool) -> Result<Vec<StoredEvent>> {
    let store = &ctx.services.store;
    let Some(group) = slice.start_group else { return Ok(vec![]) };
    let in_timeline: HashSet<&OwnedEventId> = slice.events.iter().map(|e| &e.pdu.event_id).collect();
    let lazy = !ctx.filter.room.state.lazy_load_options.is_disabled();
    let senders: HashSet<&OwnedUserId> = slice.events.iter().map(|e| &e.pdu.sender).collect();
    if !full && !slice.limited {
        if !lazy {
            return Ok(vec![]);
        }
        // No record is kept of which members a device already has, so a lazy-loading client
        // gets the member events of this timeline's senders again (the spec allows redundant
        // members).
        let mut members = vec![];
        for sender in senders {
            if let Some(id) = store.state_group_lookup(group, &StateEventType::RoomMember, sender.as_str())?
                && !in_timeline.contains(&id)
            {
                members.extend(store.get_event(&id)?);
            }
        }
        return Ok(members);
    }
    let ids: Vec<OwnedEventId> = store.state_group_entries(group)?.into_iter().map(|(_, _, id)| id).collect();
    let since = ctx.since_stream();
    Ok(store
        .get_events(&ids)?
        .into_iter()
        .filter(|e| !in_timeline.contains(&e.pdu.event_id))
        .filter(|e| full || e.stream > since)
        .filter(|e| {
            if !lazy || e.pdu.kind != TimelineEventType::RoomMember {
                return true;
            }
            let key = e.pdu.state_key.as_deref().unwrap_or_default();
            key == ctx.identity.user_id.as_str() || senders.iter().any(|s| s.as_str() == key)
        })
        .filter(|e| event_matches(&ctx.filter.room.state, &e.pdu))
        .collect())
}

fn ephemeral(ctx: &SyncContext<'_>, membership: &MembershipRecord, full: bool) -> Result<Vec<Value>> {
    let room_id = &membership.room_id;
    let mut events = vec![];
    let (typing, serial) = ctx.services.typing.typing_in(room_id);
    if full || ctx.since.is_none_or(|s| serial > s.typing) {
        events.push(json!({ "type": "m.typing", "content": { "user_ids": typing } }));
    }
    let since = if full { 0 } else { ctx.since_stream() };
    let mut content: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for receipt in ctx.services.store.receipts_since(room_id, since)? {
        if receipt.stream > ctx.now.stream
            || (receipt.receipt_type == "m.read.private" && receipt.user_id != ctx.identity.user_id)
        {
            continue;
        }
        let mut data = json!({ "ts": receipt.ts });
        if let Some(thread) = &receipt.thread_id {
            data["thread_id"] = thread.clone().into();
        }
        let by_type = content.entry(receipt.event_id.to_string()).or_default();
        let users = by_type.entry(receipt.receipt_type.clone()).or_insert_with(|| json!({}));
        users[receipt.user_id.as_str()] = data;
    }
    if !content.is_empty() {
        events.push(json!({ "type": "m.receipt", "content": content }));
    }
    Ok(events)
}

fn room_account_data(ctx: &SyncContext<'_>, membership: &MembershipRecord, full: bool) -> Result<Vec<Value>> {
    let render = |r: &rempart_storage::AccountDataRecord| json!({ "type": r.kind, "content": if r.content.is_null() { json!({}) } else { r.content.clone() } });
    let in_room = |r: &&rempart_storage::AccountDataRecord| {
        r.room_id.as_deref() == Some(&*membership.room_id) && r.stream <= ctx.now.stream
    };
    // A room newly joined in an incremental sync needs all of its account data, not only the
    // changes since the token that `ctx.account_data` holds.
    if full && ctx.since.is_some() {
        let all = ctx.services.store.account_data_since(&ctx.identity.user_id, 0)?;
        return Ok(all.iter().filter(in_room).map(render).collect());
    }
    Ok(ctx.account_data.iter().filter(in_room).map(render).collect())
}

fn summary(ctx: &SyncContext<'_>, membership: &MembershipRecord) -> Result<Value> {
    let members = ctx.services.store.room_memberships(&membership.room_id)?;
    let joined = members.iter().filter(|m| m.membership == Membership::Join).count();
    let invited = members.iter().filter(|m| m.membership == Membership::Invite).count();
    let heroes: Vec<&OwnedUserId> = members
        .iter()
        .filter(|m| matches!(m.membership, Membership::Join | Membership::Invite) && m.user_id != ctx.identity.user_id)
        .map(|m| &m.user_id)
        .take(5)
        .collect();
    Ok(json!({ "m.heroes": heroes, "m.joined_member_count": joined, "m.invited_member_count": invited }))
}

/// A joined room's section, or `None` when nothing changed since the token.
pub(crate) fn joined_room(ctx: &SyncContext<'_>, membership: &MembershipRecord) -> Result<Option<Value>> {
    let newly_joined = ctx.since.is_some_and(|s| membership.stream > s.stream);
    let full = ctx.since.is_none() || ctx.full_state || newly_joined;
    let slice = timeline(ctx, membership, ctx.since_stream(), ctx.now.stream)?;
    let state = state_section(ctx, &slice, full)?;
    let ephemeral = ephemeral(ctx, membership, full)?;
    let account_data = room_account_data(ctx, membership, full)?;
    // Lazy loading resends the members of the timeline's senders: they are no change.
    let membership_changed = slice.events.iter().any(|e| e.pdu.kind == TimelineEventType::RoomMember)
        || state.iter().any(|e| e.pdu.kind == TimelineEventType::RoomMember && e.stream > ctx.since_stream());
    if !full && slice.events.is_empty() && state.is_empty() && ephemeral.is_empty() && account_data.is_empty() {
        return Ok(None);
    }
    let mut room = json!({
        "timeline": { "events": serialize(ctx, &slice.events), "limited": slice.limited, "prev_batch": slice.prev_batch.to_string() },
        "state": { "events": serialize(ctx, &state) },
        "ephemeral": { "events": ephemeral },
        "account_data": { "events": account_data },
    });
    // The timeline just read is every event the user may see since the token, unless it was
    // cut or filtered: the counts need not read and check them again.
    let seen = (!slice.limited && slice.unfiltered).then(|| crate::push::SeenEvents {
        after: ctx.since_stream(),
        until: ctx.now.stream,
        events: &slice.events,
    });
    let (notifications, highlights) = crate::push::unread_counts_with_rules(
        ctx.services,
        &ctx.push_rules.rules,
        ctx.push_rules.fingerprint,
        &ctx.identity.user_id,
        &membership.room_id,
        seen,
    )?;
    room["unread_notifications"] = json!({ "notification_count": notifications, "highlight_count": highlights });
    if full || membership_changed {
        room["summary"] = summary(ctx, membership)?;
    }
    Ok(Some(room))
}

/// An invite or knock section with stripped state, when new since the token.
pub(crate) fn stripped_room(ctx: &SyncContext<'_>, membership: &MembershipRecord, key: &str) -> Result<Option<Value>> {
    if ctx.since.is_some_and(|s| membership.stream <= s.stream) && !ctx.full_state {
        return Ok(None);
    }
    if membership.stream > ctx.now.stream {
        return Ok(None);
    }
    let store = &ctx.services.store;
    let mut events: Vec<Value> = store
        .current_state(&membership.room_id)?
        .into_iter()
        .filter(|e| STRIPPED_TYPES.contains(&e.pdu.kind.to_string().as_str()))
        .map(|e| e.pdu.to_stripped_state())
        .collect();
    if let Some(own) = store.get_event(&membership.event_id)? {
        events.push(client_event(&**store, &own, viewer(ctx), false));
    }
    Ok(Some(json!({ key: { "events": events } })))
}

/// A left (or banned) room's section: included in incremental syncs when the leave is new, and
/// in initial syncs only when the filter asks for `include_leave`.
pub(crate) fn left_room(ctx: &SyncContext<'_>, membership: &MembershipRecord) -> Result<Option<Value>> {
    if membership.forgotten || membership.stream > ctx.now.stream {
        return Ok(None);
    }
    match ctx.since {
        Some(since) if membership.stream <= since.stream && !ctx.full_state => return Ok(None),
        None if !ctx.filter.room.include_leave => return Ok(None),
        _ => {}
    }
    let slice = timeline(ctx, membership, ctx.since_stream(), membership.stream)?;
    // A user who never joined (a withdrawn knock, a rejected invite, a ban) may not read the
    // room's state; the timeline already holds only what they may see.
    let mut check = VisibilityCheck::new(&*ctx.services.store, &ctx.identity.user_id);
    let state = match check.readable_state_group(&membership.room_id)? {
        Some(_) => state_section(ctx, &slice, ctx.since.is_none() || ctx.full_state)?,
        None => vec![],
    };
    Ok(Some(json!({
        "timeline": { "events": serialize(ctx, &slice.events), "limited": slice.limited, "prev_batch": slice.prev_batch.to_string() },
        "state": { "events": serialize(ctx, &state) },
        "account_data": { "events": room_account_data(ctx, membership, false)? },
    })))
}
