//! Helpers for the end-to-end encryption scenarios: devices whose keys are published, waiting
//! until a client can decrypt an event, what a client knows about other devices, and
//! user-interactive authentication with a password.
//!
//! The client decrypts with its own keys only: `matrix-sdk` is built without automatic key
//! forwarding, so a device holds exactly the room keys that were sent to it (or that it restored
//! from a backup). Waiting is bounded by [`SYNC_DEADLINE`] like everything in [`crate::sync`].

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::{
    Client, Room,
    deserialized_responses::{TimelineEvent, TimelineEventKind},
    encryption::identities::Device,
    ruma::{
        DeviceId, EventId, OneTimeKeyAlgorithm, OwnedDeviceId, OwnedRoomId, OwnedUserId, RoomId, UserId,
        api::client::{
            keys::{get_keys, upload_keys},
            room::create_room::v3::{Request as CreateRoomRequest, RoomPreset},
            room::get_room_event,
            uiaa::{AuthData, MatrixUserIdentifier, Password, UiaaInfo, UserIdentifier},
        },
        events::{
            AnyTimelineEvent, InitialStateEvent,
            room::{
                history_visibility::{HistoryVisibility, RoomHistoryVisibilityEventContent},
                member::MembershipState,
            },
        },
        serde::Raw,
    },
    sync::SyncResponse,
};
use serde_json::Value as JsonValue;
use tokio::time::Instant;

use crate::{
    client::{login, new_user, password_for},
    fixtures::room,
    harness::TestServer,
    sync::{SYNC_DEADLINE, initial_sync, sync_until, text_of},
};

/// The `timeout` of each long-poll round while polling the client's own state.
const LONG_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Registers `username` and returns a logged-in client whose device keys and one-time keys are
/// on the server (see [`ensure_keys_published`]).
pub async fn e2ee_user(server: &TestServer, username: &str) -> Result<Client> {
    let client = new_user(server, username).await?;
    initial_sync(&client).await?;
    ensure_keys_published(&client).await?;
    Ok(client)
}

/// Logs an existing user in on a new device (a new client, with an empty crypto store), and
/// waits until the new device's keys are on the server.
pub async fn new_device(server: &TestServer, username: &str) -> Result<Client> {
    let client = login(server, username, &password_for(username)).await?;
    initial_sync(&client).await?;
    ensure_keys_published(&client).await?;
    Ok(client)
}

/// The SDK uploads its device keys and one-time keys around its first `/sync` and only logs a
/// failure; this checks the result on the server so that a refused upload fails here, clearly:
/// `/keys/query` returns this device with the SDK's own Ed25519 key, and the server counts some
/// `signed_curve25519` one-time keys for it.
pub async fn ensure_keys_published(client: &Client) -> Result<()> {
    let (user, device) = ids(client)?;
    let ed25519 = client.encryption().ed25519_key().await.context("the client has no Ed25519 identity key")?;
    let published = server_device_keys(client, &user).await?;
    let keys = published.get(&device).with_context(|| {
        format!(
            "/keys/query does not return the keys of {user}'s device {device} after its first sync (it returns \
             devices {:?}); the upload was refused or lost",
            published.keys().collect::<Vec<_>>()
        )
    })?;
    let key_id = format!("ed25519:{device}");
    let served = keys.get("keys").and_then(|keys| keys.get(&key_id)).and_then(JsonValue::as_str);
    ensure!(served == Some(ed25519.as_str()), "/keys/query returns {key_id} = {served:?}, the device has {ed25519}");

    // An upload without keys is the spec's way to read the one-time key counts.
    let counts = client.send(upload_keys::v3::Request::new()).await.context("POST /keys/upload without keys")?;
    let signed = counts.one_time_key_counts.get(&OneTimeKeyAlgorithm::SignedCurve25519).copied().unwrap_or_default();
    ensure!(
        u64::from(signed) > 0,
        "the server counts no signed_curve25519 one-time keys for {user}/{device}: {:?}",
        counts.one_time_key_counts
    );
    Ok(())
}

/// The logged-in user and device of `client`.
pub fn ids(client: &Client) -> Result<(OwnedUserId, OwnedDeviceId)> {
    let user = client.user_id().context("client is not logged in")?.to_owned();
    let device = client.device_id().context("client has no device ID")?.to_owned();
    Ok((user, device))
}

/// The device keys the server returns for `user` from `POST /keys/query`, as JSON objects by
/// device ID, asked directly (not through the SDK's store).
pub async fn server_device_keys(client: &Client, user: &UserId) -> Result<BTreeMap<OwnedDeviceId, JsonValue>> {
    let response = query_keys(client, user).await?;
    let mut devices = BTreeMap::new();
    for (device, raw) in response.device_keys.get(user).into_iter().flatten() {
        let json = raw.deserialize_as::<JsonValue>().with_context(|| format!("device keys of {device}"))?;
        devices.insert(device.clone(), json);
    }
    Ok(devices)
}

/// `POST /keys/query` for all the devices of `user`.
pub async fn query_keys(client: &Client, user: &UserId) -> Result<get_keys::v3::Response> {
    let mut request = get_keys::v3::Request::new();
    request.device_keys.insert(user.to_owned(), Vec::new());
    let response = client.send(request).await.with_context(|| format!("POST /keys/query for {user}"))?;
    ensure!(response.failures.is_empty(), "/keys/query reports failures: {:?}", response.failures);
    Ok(response)
}

/// Polls `check` on the client's local state, syncing between attempts (a sync brings to-device
/// messages and device-list changes, and lets the SDK send its key queries), until it returns
/// `Some` or [`SYNC_DEADLINE`] passes.
pub async fn poll_with_sync<T>(
    client: &Client,
    what: &str,
    mut check: impl AsyncFnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + SYNC_DEADLINE;
    loop {
        if let Some(found) = check().await.with_context(|| format!("checking for {what}"))? {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            bail!("{what}: still not the case after {SYNC_DEADLINE:?} of syncing");
        }
        let settings = matrix_sdk::config::SyncSettings::default().timeout(LONG_POLL);
        tokio::time::timeout_at(deadline + LONG_POLL * 4, client.sync_once(settings))
            .await
            .with_context(|| format!("/sync hung while waiting for {what}"))?
            .with_context(|| format!("/sync failed while waiting for {what}"))?;
    }
}

/// A message a client decrypted, with what the SDK says about its encryption.
#[derive(Clone, Debug)]
pub struct Decrypted {
    pub body: String,
    pub sender: OwnedUserId,
    pub sender_device: Option<OwnedDeviceId>,
    pub session_id: Option<String>,
}

/// What a client made of one event.
#[derive(Clone, Debug)]
pub enum Seen {
    /// An encrypted text message the client decrypted.
    Decrypted(Decrypted),
    /// An `m.room.encrypted` event the client has no key for; the string says why.
    Undecryptable(String),
    /// An event that was not encrypted at all (its type is given).
    Plaintext(String),
}

/// Classifies a timeline event as the SDK returned it.
pub fn seen(event: &TimelineEvent) -> Result<Seen> {
    match &event.kind {
        TimelineEventKind::Decrypted(decrypted) => {
            let text = text_of(event)?.context("a decrypted event that is not a text message")?;
            let info = &decrypted.encryption_info;
            Ok(Seen::Decrypted(Decrypted {
                body: text.body,
                sender: info.sender.clone(),
                sender_device: info.sender_device.clone(),
                session_id: info.session_id().map(str::to_owned),
            }))
        }
        TimelineEventKind::UnableToDecrypt { utd_info, .. } => Ok(Seen::Undecryptable(format!("{utd_info:?}"))),
        TimelineEventKind::PlainText { event } => {
            Ok(Seen::Plaintext(event.get_field::<String>("type")?.unwrap_or_else(|| "<no type>".to_owned())))
        }
    }
}

/// `GET /rooms/{room}/event/{event}` through the SDK, which decrypts it with the keys it has.
pub async fn fetch(client: &Client, room_id: &RoomId, event_id: &EventId) -> Result<Seen> {
    let event = room(client, room_id)?.event(event_id, None).await.with_context(|| format!("fetching {event_id}"))?;
    seen(&event)
}

/// The event as the server stores it, fetched by `client` with `GET /rooms/{room}/event/{event}`
/// and not decrypted: for an encrypted message, the `m.room.encrypted` event.
pub async fn raw_event(client: &Client, room_id: &RoomId, event_id: &EventId) -> Result<Raw<AnyTimelineEvent>> {
    let request = get_room_event::v3::Request::new(room_id.to_owned(), event_id.to_owned());
    Ok(client.send(request).await.with_context(|| format!("GET /rooms/{room_id}/event/{event_id}"))?.event)
}

/// What `client` makes of an encrypted event it is handed (for instance one fetched by another
/// member): it decrypts it with its own keys only.
pub async fn decrypt_with_own_keys(client: &Client, room_id: &RoomId, event: &Raw<AnyTimelineEvent>) -> Result<Seen> {
    let event_type = event.get_field::<String>("type")?;
    ensure!(event_type.as_deref() == Some("m.room.encrypted"), "not an encrypted event: {event_type:?}");
    let decrypted = room(client, room_id)?.decrypt_event(event.cast_ref_unchecked(), None).await?;
    seen(&decrypted)
}

/// Syncs `client` until `event_id` arrives in the timeline of `room_id`, and returns what the SDK
/// made of it while processing that `/sync` response: the room key must have come (as a
/// to-device message) no later than the event itself.
pub async fn seen_in_sync(client: &Client, room_id: &RoomId, event_id: &EventId) -> Result<Seen> {
    let (me, device) = ids(client)?;
    sync_until(client, &format!("{event_id} in {me}/{device}'s /sync"), |response: &SyncResponse| {
        let Some(joined) = response.rooms.joined.get(room_id) else { return Ok(None) };
        let event = joined.timeline.events.iter().find(|event| event.event_id().as_deref() == Some(event_id));
        event.map(seen).transpose()
    })
    .await
}

/// Waits until `client` can decrypt `event_id` (syncing in between, which is how the room key
/// arrives as a to-device message) and returns the decrypted message.
pub async fn decrypted(client: &Client, room_id: &RoomId, event_id: &EventId) -> Result<Decrypted> {
    let who = ids(client)?;
    let mut last = None;
    let result = poll_with_sync(client, &format!("{}/{} decrypting {event_id}", who.0, who.1), async || {
        match fetch(client, room_id, event_id).await? {
            Seen::Decrypted(message) => Ok(Some(message)),
            Seen::Plaintext(kind) => bail!("{event_id} reached {} unencrypted, as {kind}", who.0),
            Seen::Undecryptable(why) => {
                last = Some(why);
                Ok(None)
            }
        }
    })
    .await;
    result.with_context(|| format!("last decryption failure: {}", last.as_deref().unwrap_or("none")))
}

/// Creates a `private_chat` room with the given history visibility in its initial state, without
/// asking for encryption.
pub async fn create_private_room_with_history(
    client: &Client,
    name: &str,
    visibility: HistoryVisibility,
) -> Result<OwnedRoomId> {
    let mut request = CreateRoomRequest::new();
    request.name = Some(name.to_owned());
    request.preset = Some(RoomPreset::PrivateChat);
    let content = RoomHistoryVisibilityEventContent::new(visibility);
    request.initial_state = vec![InitialStateEvent::with_empty_state_key(content).to_raw_any()];
    let room = client.create_room(request).await.context("creating a private room")?;
    Ok(room.room_id().to_owned())
}

/// Checks that the client's view of `room` says it is encrypted with `m.megolm.v1.aes-sha2`,
/// after asking the server for the room's current `m.room.encryption` state.
pub async fn ensure_encrypted(room: &Room) -> Result<()> {
    let state = room.latest_encryption_state().await.context("reading the room's encryption state")?;
    ensure!(state.is_encrypted(), "room {} is not encrypted: {state:?}", room.room_id());
    let settings = room.encryption_settings().context("no m.room.encryption content")?;
    let algorithm = settings.algorithm.as_ref().map(|algorithm| algorithm.as_str());
    ensure!(algorithm == Some("m.megolm.v1.aes-sha2"), "room {} uses {algorithm:?}", room.room_id());
    Ok(())
}

/// Waits until `observer`'s crypto store lists `device` of `user` (`present`) or no longer
/// lists it (`!present`). The store learns of changes through `device_lists` in `/sync` and the
/// `/keys/query` the SDK sends afterwards.
pub async fn wait_for_device(observer: &Client, user: &UserId, device: &DeviceId, present: bool) -> Result<()> {
    let (me, _) = ids(observer)?;
    let what = if present {
        format!("{me} learning about {user}'s new device {device}")
    } else {
        format!("{me} learning that {user}'s device {device} was deleted")
    };
    poll_with_sync(observer, &what, async || {
        let devices = observer.encryption().get_user_devices(user).await?;
        Ok((devices.get(device).is_some() == present).then_some(()))
    })
    .await
}

/// The SDK's view of a device, which must exist.
pub async fn device(client: &Client, user: &UserId, device: &DeviceId) -> Result<Device> {
    client.encryption().get_device(user, device).await?.with_context(|| format!("{user}'s device {device} is unknown"))
}

/// The `m.login.password` UIA stage for `username` (with its test password), continuing the
/// session of the server's 401 answer `info`.
pub fn password_auth(username: &str, info: &UiaaInfo) -> AuthData {
    let identifier = UserIdentifier::Matrix(MatrixUserIdentifier::new(username.to_owned()));
    let mut password = Password::new(identifier, password_for(username));
    password.session = info.session.clone();
    AuthData::Password(password)
}

/// Deletes `device` of `username` from `client` (another device of the same user), completing
/// user-interactive authentication with the password.
pub async fn delete_device(client: &Client, username: &str, device: &DeviceId) -> Result<()> {
    let devices = [device.to_owned()];
    let info = match client.delete_devices(&devices, None).await {
        Ok(_) => bail!("POST /delete_devices succeeded without user-interactive authentication"),
        Err(error) => {
            error.as_uiaa_response().with_context(|| format!("expected a 401 UIA answer, got {error:?}"))?.clone()
        }
    };
    client
        .delete_devices(&devices, Some(password_auth(username, &info)))
        .await
        .with_context(|| format!("deleting {device} with m.login.password"))?;
    Ok(())
}

/// Creates and uploads cross-signing keys for `username` from `client`. The spec lets a server
/// accept the first upload without user-interactive authentication; when it asks, the password
/// stage is completed.
pub async fn bootstrap_cross_signing(client: &Client, username: &str) -> Result<()> {
    let encryption = client.encryption();
    let info = match encryption.bootstrap_cross_signing(None).await {
        Ok(()) => return Ok(()),
        Err(error) => error
            .as_uiaa_response()
            .with_context(|| format!("bootstrapping cross-signing: expected success or a UIA answer, got {error:?}"))?
            .clone(),
    };
    encryption
        .bootstrap_cross_signing(Some(password_auth(username, &info)))
        .await
        .context("bootstrapping cross-signing with m.login.password")
}

/// Waits until `observer`'s view of `room_id` has `user` joined.
pub async fn wait_for_join(observer: &Client, room_id: &RoomId, user: &UserId) -> Result<()> {
    let (me, _) = ids(observer)?;
    poll_with_sync(observer, &format!("{me} seeing {user} join {room_id}"), async || {
        let member = room(observer, room_id)?.get_member_no_sync(user).await?;
        Ok(member.filter(|member| *member.membership() == MembershipState::Join).map(|_| ()))
    })
    .await
}
