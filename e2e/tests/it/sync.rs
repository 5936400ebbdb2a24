//! Waiting for things to arrive through `/sync`, and reading events out of sync responses.
//!
//! [`sync_until`] long-polls the server in short rounds (the client keeps its `since` token
//! between rounds) until a check on a response succeeds, within [`SYNC_DEADLINE`]: a missing
//! event fails the test with a message, it never hangs it. Events are parsed with ruma's types,
//! so a malformed event from the server is reported as such.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use matrix_sdk::{
    Client,
    config::SyncSettings,
    deserialized_responses::TimelineEvent,
    ruma::{
        OwnedEventId, OwnedUserId, RoomId,
        events::{
            AnySyncEphemeralRoomEvent, AnySyncMessageLikeEvent, AnySyncStateEvent, AnySyncTimelineEvent,
            room::member::MembershipState,
        },
        serde::Raw,
    },
    sync::{State, SyncResponse},
};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

/// How long a test waits for one expected thing to show up in `/sync`.
pub const SYNC_DEADLINE: Duration = Duration::from_secs(20);

/// The `timeout` of each long-poll round.
const LONG_POLL: Duration = Duration::from_millis(1000);

/// Syncs `client` until `check` returns `Some`, and returns that value. `what` names the awaited
/// thing in the error when it does not come within [`SYNC_DEADLINE`].
pub async fn sync_until<T>(
    client: &Client,
    what: &str,
    mut check: impl FnMut(&SyncResponse) -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + SYNC_DEADLINE;
    loop {
        let settings = SyncSettings::default().timeout(LONG_POLL);
        let response = tokio::time::timeout_at(deadline, client.sync_once(settings))
            .await
            .with_context(|| format!("timed out after {SYNC_DEADLINE:?} waiting for {what}"))?
            .with_context(|| format!("/sync failed while waiting for {what}"))?;
        if let Some(found) = check(&response).with_context(|| format!("reading /sync while waiting for {what}"))? {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            bail!("{what} did not show up in /sync within {SYNC_DEADLINE:?}");
        }
    }
}

/// Syncs once, so that the client has a `since` token and its room list is up to date.
pub async fn initial_sync(client: &Client) -> Result<SyncResponse> {
    let settings = SyncSettings::default().timeout(Duration::ZERO);
    tokio::time::timeout(SYNC_DEADLINE, client.sync_once(settings))
        .await
        .context("the initial /sync timed out")?
        .context("the initial /sync failed")
}

/// Deserializes a raw event, showing its JSON when it does not match the spec's schema.
pub fn parse<T: DeserializeOwned>(raw: &Raw<T>) -> Result<T> {
    raw.deserialize().with_context(|| format!("event does not match its schema: {}", raw.json().get()))
}

/// A text message (`m.room.message`) from a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    pub body: String,
}

/// A membership change (`m.room.member`) from a timeline or a state section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub sender: OwnedUserId,
    pub user_id: OwnedUserId,
    pub membership: MembershipState,
    pub displayname: Option<String>,
}

/// The text message in `event`, if it is one.
pub fn text_of(event: &TimelineEvent) -> Result<Option<Text>> {
    let AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(message)) = parse(event.raw())? else {
        return Ok(None);
    };
    Ok(message.as_original().map(|original| Text {
        event_id: original.event_id.clone(),
        sender: original.sender.clone(),
        body: original.content.body().to_owned(),
    }))
}

fn member_of(event: AnySyncStateEvent) -> Option<Member> {
    let AnySyncStateEvent::RoomMember(member) = event else { return None };
    let original = member.as_original()?;
    Some(Member {
        sender: original.sender.clone(),
        user_id: original.state_key.clone(),
        membership: original.content.membership.clone(),
        displayname: original.content.displayname.clone(),
    })
}

/// The event type of a timeline event (`m.room.create`, `m.room.message`, ...).
pub fn event_type_of(event: &TimelineEvent) -> Result<String> {
    Ok(parse(event.raw())?.event_type().to_string())
}

/// The timeline of `room_id` in this response, whether the user is (still) joined or just left.
fn timeline<'a>(response: &'a SyncResponse, room_id: &RoomId) -> &'a [TimelineEvent] {
    if let Some(joined) = response.rooms.joined.get(room_id) {
        &joined.timeline.events
    } else if let Some(left) = response.rooms.left.get(room_id) {
        &left.timeline.events
    } else {
        &[]
    }
}

fn state<'a>(response: &'a SyncResponse, room_id: &RoomId) -> &'a [Raw<AnySyncStateEvent>] {
    let section = match (response.rooms.joined.get(room_id), response.rooms.left.get(room_id)) {
        (Some(joined), _) => &joined.state,
        (None, Some(left)) => &left.state,
        (None, None) => return &[],
    };
    match section {
        State::Before(events) | State::After(events) => events,
    }
}

/// The text messages of `room_id`'s timeline in this response, in timeline order.
pub fn texts(response: &SyncResponse, room_id: &RoomId) -> Result<Vec<Text>> {
    let mut found = Vec::new();
    for event in timeline(response, room_id) {
        found.extend(text_of(event)?);
    }
    Ok(found)
}

/// Every `m.room.member` event of `room_id` in this response: from the timeline and from the
/// state section.
pub fn members(response: &SyncResponse, room_id: &RoomId) -> Result<Vec<Member>> {
    let mut found = Vec::new();
    for event in timeline(response, room_id) {
        if let AnySyncTimelineEvent::State(state_event) = parse(event.raw())? {
            found.extend(member_of(state_event));
        }
    }
    for raw in state(response, room_id) {
        found.extend(member_of(parse(raw)?));
    }
    Ok(found)
}

/// The ephemeral events (typing, receipts) of `room_id` in this response.
pub fn ephemeral(response: &SyncResponse, room_id: &RoomId) -> Result<Vec<AnySyncEphemeralRoomEvent>> {
    let Some(joined) = response.rooms.joined.get(room_id) else { return Ok(Vec::new()) };
    joined.ephemeral.iter().map(parse).collect()
}

/// Whether any part of this response mentions `needle` (a message body, an event ID, ...),
/// anywhere: used to check that something a user must not see is absent.
pub fn mentions(response: &SyncResponse, needle: &str) -> bool {
    let rooms = &response.rooms;
    let mut raw_texts = rooms
        .joined
        .values()
        .flat_map(|room| {
            let timeline = room.timeline.events.iter().map(|event| event.raw().json().get());
            let ephemeral = room.ephemeral.iter().map(|event| event.json().get());
            timeline.chain(ephemeral)
        })
        .chain(rooms.left.values().flat_map(|room| room.timeline.events.iter().map(|event| event.raw().json().get())))
        .chain(rooms.invited.values().flat_map(|room| room.invite_state.events.iter().map(|event| event.json().get())));
    raw_texts.any(|json| json.contains(needle))
}
