//! Rooms: appending local events (built, signed and authorised through `rempart-state`),
//! creating rooms, membership changes, and reading timelines and state through the one
//! visibility rule in [`visibility`].

mod create;
mod membership;
pub mod policy;
mod power;
mod read;
mod search;
pub mod visibility;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use rempart_state::{BuildContext, EventTemplate, StateMap, build_event, redact_pdu, rules_for};
use rempart_storage::{NewEvent, NewRoom, Redaction, RoomRecord, Storage};
use rempart_types::{config::Config, pdu::Pdu, time::now_millis};
use ruma::{
    OwnedDeviceId, OwnedEventId, OwnedRoomId, RoomId, UserId,
    events::{StateEventType, TimelineEventType},
    room_version_rules::RoomVersionRules,
    signatures::Ed25519KeyPair,
    state_res,
};
use serde_json::value::to_raw_value;

pub use create::{CreateRoomParams, Preset};
pub use read::{Direction, EventContext, MessagesPage, MessagesQuery};
pub use search::SearchPage;

use crate::{CoreError, Result, notifier::Notifier};

/// The room service.
pub struct Rooms {
    store: Arc<dyn Storage>,
    config: Arc<Config>,
    key: Arc<Ed25519KeyPair>,
    notifier: Arc<Notifier>,
    room_locks: Mutex<HashMap<OwnedRoomId, Arc<tokio::sync::Mutex<()>>>>,
    /// The timestamp of the newest create event built here (see `unique_create_ts`).
    last_create_ts: std::sync::atomic::AtomicU64,
    /// Power levels per room and state group.
    power_levels_cache: power::PowerLevelsCache,
}

/// A local event that was appended.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its id.
    pub event_id: OwnedEventId,
    /// Its stream position.
    pub stream: i64,
}

impl Rooms {
    /// Builds the service.
    pub fn new(
        store: Arc<dyn Storage>,
        config: Arc<Config>,
        key: Arc<Ed25519KeyPair>,
        notifier: Arc<Notifier>,
    ) -> Self {
        Self {
            store,
            config,
            key,
            notifier,
            room_locks: Mutex::default(),
            last_create_ts: Default::default(),
            power_levels_cache: Default::default(),
        }
    }

    /// Serialises event creation per room: reading the extremities and state, building the
    /// event and appending it must not interleave with another local event in the same room.
    async fn lock_room(&self, room_id: &RoomId) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.room_locks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(room_id.to_owned()).or_default())
        };
        lock.lock_owned().await
    }

    /// A room's record, or `M_NOT_FOUND`.
    pub fn room(&self, room_id: &RoomId) -> Result<RoomRecord> {
        self.store.get_room(room_id)?.ok_or_else(|| CoreError::NotFound("room not found".into()))
    }

    /// The rules of a room's version.
    pub fn rules(&self, room: &RoomRecord) -> Result<RoomVersionRules> {
        Ok(rules_for(&room.version)?)
    }

    /// Loads only the current state the authorization rules need for this event: the auth
    /// types plus the create event. Sending a message costs a handful of point reads, not the
    /// whole room state.
    fn auth_state(
        &self,
        room_id: &RoomId,
        template: &EventTemplate,
        sender: &UserId,
        rules: &RoomVersionRules,
    ) -> Result<StateMap> {
        let content = to_raw_value(&template.content).map_err(|e| CoreError::BadJson(e.to_string()))?;
        let mut keys = state_res::auth_types_for_event(
            &template.kind,
            sender,
            template.state_key.as_deref(),
            &content,
            &rules.authorization,
        )
        .map_err(CoreError::BadJson)?;
        keys.push((StateEventType::RoomCreate, String::new()));
        let mut state = StateMap::new();
        for (kind, state_key) in keys {
            if let Some(event) = self.store.current_state_event(room_id, &kind, &state_key)? {
                state.insert((kind, state_key), event.pdu);
            }
        }
        Ok(state)
    }

    /// What the encryption policy needs of a room's current state.
    fn policy_state(&self, room_id: &RoomId) -> Result<policy::PolicyState> {
        policy::PolicyState::read(|kind| {
            Ok(self.store.current_state_event(room_id, &kind, "")?.map(|event| event.pdu.content_value()))
        })
    }

    /// Builds, authorises and appends one local event. `txn` makes client sends idempotent.
    pub async fn send_event(
        &self,
        room_id: &RoomId,
        sender: &UserId,
        template: EventTemplate,
        txn: Option<(OwnedDeviceId, String)>,
    ) -> Result<Sent> {
        self.send_event_attaching(room_id, sender, template, txn, &[]).await
    }

    /// [`send_event`](Self::send_event), also linking the files of `attached` (`mxc://` URIs
    /// the client names explicitly, for encrypted events) to the event.
    pub async fn send_event_attaching(
        &self,
        room_id: &RoomId,
        sender: &UserId,
        template: EventTemplate,
        txn: Option<(OwnedDeviceId, String)>,
        attached: &[String],
    ) -> Result<Sent> {
        let _guard = self.lock_room(room_id).await;
        if let Some((device_id, txn_id)) = &txn
            && let Some(event_id) = self.store.event_for_txn(sender, device_id, txn_id)?
        {
            let stream = self.store.get_event(&event_id)?.map(|e| e.stream).unwrap_or_default();
            return Ok(Sent { event_id, stream });
        }
        let room = self.room(room_id)?;
        let rules = self.rules(&room)?;
        self.ensure_membership_allowed(room_id, &template)?;
        if matches!(template.kind, TimelineEventType::RoomEncryption | TimelineEventType::RoomJoinRules) {
            policy::check(&template, &self.policy_state(room_id)?, self.config.encryption.allow_in_public_rooms)?;
        }
        let state = self.auth_state(room_id, &template, sender, &rules)?;
        let media_links = self.media_links(sender, &template.content, attached)?;
        let prev_events = self.store.forward_extremities(room_id)?;
        let ctx = BuildContext {
            rules: &rules,
            room_id: Some(room_id),
            prev_events: &prev_events,
            state: &state,
            origin: &self.config.server_name,
            key: &self.key,
            now_millis: now_millis(),
        };
        let pdu = build_event(template, sender, &ctx)?;
        let redaction = self.redaction_for(&pdu, &rules)?;
        let event_id = pdu.event_id.clone();
        let streams = self.store.append_events(None, &[NewEvent { pdu, txn, redaction, media_links }])?;
        self.notifier.notify();
        Ok(Sent { event_id, stream: streams.first().copied().unwrap_or_default() })
    }

    /// For a redaction event, the redacted form of its target, once the sender is known to be
    /// allowed to redact it.
    fn redaction_for(&self, pdu: &Pdu, rules: &RoomVersionRules) -> Result<Option<Redaction>> {
        if pdu.kind != TimelineEventType::RoomRedaction {
            return Ok(None);
        }
        let Some(target_id) = &pdu.redacts else { return Ok(None) };
        let Some(target) = self.store.get_event(target_id)? else { return Ok(None) };
        // Enforced here, where every redaction passes, not only in the endpoints that send them.
        self.check_redaction(&pdu.room_id, &pdu.sender, &target)?;
        let redacted = redact_pdu(&target.pdu, rules)?;
        Ok(Some(Redaction { target: target_id.clone(), redacted_json: redacted.json }))
    }

    /// The files an event links (see [`crate::media::links`]).
    fn media_links(&self, sender: &UserId, content: &serde_json::Value, attached: &[String]) -> Result<Vec<String>> {
        crate::media::links::links_for_event(self.store.as_ref(), &self.config.server_name, sender, content, attached)
    }

    /// Appends a whole new room in one transaction (used by room creation).
    fn append_new_room(&self, room: &NewRoom, events: Vec<Pdu>) -> Result<()> {
        let events = events
            .into_iter()
            .map(|pdu| {
                let media_links = self.media_links(&pdu.sender, &pdu.content_value(), &[])?;
                Ok(NewEvent { pdu, txn: None, redaction: None, media_links })
            })
            .collect::<Result<Vec<_>>>()?;
        match self.store.append_events(Some(room), &events) {
            // The alias was taken between the early check and now.
            Err(rempart_storage::StorageError::Conflict(_)) if room.alias.is_some() => {
                return Err(CoreError::RoomInUse);
            }
            other => other?,
        };
        self.notifier.notify();
        Ok(())
    }
}
