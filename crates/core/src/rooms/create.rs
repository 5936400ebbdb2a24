//! Room creation: the spec's sequence of initial events, built in memory against their own
//! growing state and appended in one transaction, so a crash never leaves half a room.

use std::sync::atomic::Ordering;

use rempart_state::{BuildContext, EventTemplate, StateMap, build_event};
use rempart_storage::{NewRoom, RoomRecord};
use rempart_types::{pdu::Pdu, time::now_millis};
use ruma::{
    OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedUserId, RoomVersionId, UserId,
    events::{StateEventType, TimelineEventType},
    room_version_rules::RoomVersionRules,
};
use serde_json::{Map, Value, json};

use super::{Rooms, policy};
use crate::{CoreError, Result};

/// The spec's room presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Invite-only, history shared, guests may join.
    PrivateChat,
    /// Like private, and every invitee gets the creator's power.
    TrustedPrivateChat,
    /// Anyone may join, history shared, no guests.
    PublicChat,
}

/// What a client asks for when creating a room.
#[derive(Debug, Clone, Default)]
pub struct CreateRoomParams {
    /// Preset; defaults from `visibility`.
    pub preset: Option<Preset>,
    /// Whether to publish in the room directory.
    pub publish: bool,
    /// `m.room.name`.
    pub name: Option<String>,
    /// `m.room.topic`.
    pub topic: Option<String>,
    /// Users to invite.
    pub invite: Vec<OwnedUserId>,
    /// Extra state `(type, state_key, content)`.
    pub initial_state: Vec<(String, String, Value)>,
    /// Room version; the configured default when absent.
    pub room_version: Option<RoomVersionId>,
    /// Extra fields of the create event's content.
    pub creation_content: Option<Map<String, Value>>,
    /// Fields overriding the default power levels.
    pub power_level_content_override: Option<Map<String, Value>>,
    /// Local part of an alias to create.
    pub room_alias_name: Option<String>,
    /// Marks invites as direct chats.
    pub is_direct: bool,
}

/// A room being assembled: its events so far and the state and DAG tip they produce.
struct Draft<'a> {
    rooms: &'a Rooms,
    rules: RoomVersionRules,
    room_id: Option<OwnedRoomId>,
    state: StateMap,
    prev: Vec<(OwnedEventId, u64)>,
    events: Vec<Pdu>,
}

impl Draft<'_> {
    fn policy_state(&self) -> Result<policy::PolicyState> {
        policy::PolicyState::read(|kind| Ok(self.state.get(&(kind, String::new())).map(|pdu| pdu.content_value())))
    }

    fn add(&mut self, sender: &UserId, kind: &str, state_key: Option<&str>, content: Value) -> Result<()> {
        let template = EventTemplate {
            kind: TimelineEventType::from(kind),
            content,
            state_key: state_key.map(ToOwned::to_owned),
            redacts: None,
        };
        policy::check(&template, &self.policy_state()?, self.rooms.config.encryption.allow_in_public_rooms)?;
        let ctx = BuildContext {
            rules: &self.rules,
            room_id: self.room_id.as_deref(),
            prev_events: &self.prev,
            state: &self.state,
            origin: &self.rooms.config.server_name,
            key: &self.rooms.key,
            now_millis: if kind == "m.room.create" { self.rooms.unique_create_ts() } else { now_millis() },
        };
        let pdu = build_event(template, sender, &ctx)?;
        self.room_id.get_or_insert_with(|| pdu.room_id.clone());
        self.prev = vec![(pdu.event_id.clone(), pdu.depth)];
        if let Some(state_key) = &pdu.state_key {
            self.state.insert(
                (StateEventType::from(pdu.kind.to_string()), state_key.clone()),
                std::sync::Arc::new(pdu.clone()),
            );
        }
        self.events.push(pdu);
        Ok(())
    }
}

impl Rooms {
    /// A timestamp for a create event that no earlier create event of this server has: from
    /// room version 12 the room id is the create event's hash, so two rooms created with the
    /// same content in the same millisecond would otherwise get the same id.
    fn unique_create_ts(&self) -> u64 {
        let now = now_millis();
        let previous = self
            .last_create_ts
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| Some(now.max(last.saturating_add(1))))
            .unwrap_or_else(|last| last);
        now.max(previous.saturating_add(1))
    }

    /// Creates a room with `creator` as its first member.
    pub async fn create_room(&self, creator: &UserId, params: CreateRoomParams) -> Result<OwnedRoomId> {
        let version = params.room_version.clone().unwrap_or_else(|| self.config.rooms.default_version.clone());
        let rules = rempart_state::rules_for(&version)?;
        for invitee in &params.invite {
            if invitee.server_name() != self.config.server_name || self.store.get_user(invitee)?.is_none() {
                return Err(CoreError::NotFound(format!("user {invitee} does not exist")));
            }
        }
        for (kind, _, _) in &params.initial_state {
            if kind == "m.room.create" || kind == "m.room.member" {
                return Err(CoreError::BadJson(format!("{kind} cannot be given in initial_state")));
            }
        }
        let alias = params
            .room_alias_name
            .as_deref()
            .map(|local| {
                OwnedRoomAliasId::try_from(format!("#{local}:{}", self.config.server_name))
                    .map_err(|e| CoreError::InvalidParam(format!("invalid room alias: {e}")))
            })
            .transpose()?;
        if let Some(alias) = &alias
            && self.store.resolve_alias(alias)?.is_some()
        {
            return Err(CoreError::RoomInUse);
        }
        let preset = params.preset.unwrap_or(if params.publish { Preset::PublicChat } else { Preset::PrivateChat });

        let mut draft =
            Draft { rooms: self, rules, room_id: None, state: StateMap::new(), prev: vec![], events: vec![] };
        if version != RoomVersionId::V12 {
            // Before v12 the room id is chosen by the server rather than derived from the
            // create event.
            let localpart = crate::accounts::random_token()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(18)
                .collect::<String>();
            draft.room_id = Some(
                OwnedRoomId::try_from(format!("!{localpart}:{}", self.config.server_name))
                    .map_err(|e| CoreError::Internal(e.to_string()))?,
            );
        }

        let mut create_content = params.creation_content.clone().unwrap_or_default();
        create_content.insert("room_version".into(), version.as_str().into());
        if version == RoomVersionId::V10 {
            create_content.insert("creator".into(), creator.as_str().into());
        }
        draft.add(creator, "m.room.create", Some(""), Value::Object(create_content))?;

        let profile = self.store.get_user(creator)?;
        let mut member = json!({ "membership": "join" });
        if let Some(p) = &profile {
            if let Some(name) = &p.displayname {
                member["displayname"] = name.clone().into();
            }
            if let Some(avatar) = &p.avatar_url {
                member["avatar_url"] = avatar.clone().into();
            }
        }
        draft.add(creator, "m.room.member", Some(creator.as_str()), member)?;

        let initial = |kind: &str, key: &str| {
            params.initial_state.iter().find(|(k, s, _)| k == kind && s == key).map(|(_, _, c)| c.clone())
        };
        let mut power_levels = initial("m.room.power_levels", "")
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_else(|| default_power_levels(creator, &version, preset, &params.invite));
        if let Some(overrides) = &params.power_level_content_override {
            for (key, value) in overrides {
                power_levels.insert(key.clone(), value.clone());
            }
        }
        draft.add(creator, "m.room.power_levels", Some(""), Value::Object(power_levels))?;

        if let Some(alias) = &alias {
            draft.add(creator, "m.room.canonical_alias", Some(""), json!({ "alias": alias }))?;
        }
        let (join_rule, history, guests) = match preset {
            Preset::PrivateChat | Preset::TrustedPrivateChat => ("invite", "shared", "can_join"),
            Preset::PublicChat => ("public", "shared", "forbidden"),
        };
        let mut preset_events = vec![
            ("m.room.join_rules", json!({ "join_rule": join_rule })),
            ("m.room.history_visibility", json!({ "history_visibility": history })),
            ("m.room.guest_access", json!({ "guest_access": guests })),
        ];
        // The platform's policy: private rooms are end-to-end encrypted whether or not the
        // client asked.
        if preset != Preset::PublicChat && self.config.encryption.encrypt_private_rooms {
            preset_events.push(("m.room.encryption", json!({ "algorithm": policy::MEGOLM })));
        }
        for (kind, content) in preset_events {
            if initial(kind, "").is_none() {
                draft.add(creator, kind, Some(""), content)?;
            }
        }
        for (kind, state_key, content) in &params.initial_state {
            if kind == "m.room.power_levels" {
                continue;
            }
            draft.add(creator, kind, Some(state_key), content.clone())?;
        }
        if let Some(name) = &params.name {
            draft.add(creator, "m.room.name", Some(""), json!({ "name": name }))?;
        }
        if let Some(topic) = &params.topic {
            draft.add(creator, "m.room.topic", Some(""), json!({ "topic": topic }))?;
        }
        for invitee in &params.invite {
            let mut content = json!({ "membership": "invite" });
            if params.is_direct {
                content["is_direct"] = true.into();
            }
            if let Some(p) = self.store.get_user(invitee)? {
                if let Some(name) = p.displayname {
                    content["displayname"] = name.into();
                }
                if let Some(avatar) = p.avatar_url {
                    content["avatar_url"] = avatar.into();
                }
            }
            draft.add(creator, "m.room.member", Some(invitee.as_str()), content)?;
        }

        let room_id = draft.room_id.clone().ok_or_else(|| CoreError::Internal("room id not assigned".into()))?;
        let record = RoomRecord {
            room_id: room_id.clone(),
            version,
            creator: creator.to_owned(),
            created_ts: now_millis(),
            published: params.publish,
        };
        self.append_new_room(&NewRoom { record, alias }, draft.events)?;
        Ok(room_id)
    }
}

fn default_power_levels(
    creator: &UserId,
    version: &RoomVersionId,
    preset: Preset,
    invitees: &[OwnedUserId],
) -> Map<String, Value> {
    let mut users = Map::new();
    // From v12 creators hold unlimited power implicitly and may not be listed.
    if *version != RoomVersionId::V12 {
        users.insert(creator.to_string(), 100.into());
    }
    if preset == Preset::TrustedPrivateChat {
        for invitee in invitees {
            users.insert(invitee.to_string(), 100.into());
        }
    }
    let value = json!({
        "users": users,
        "users_default": 0,
        "events": {
            "m.room.name": 50,
            "m.room.power_levels": 100,
            "m.room.history_visibility": 100,
            "m.room.canonical_alias": 50,
            "m.room.avatar": 50,
            "m.room.tombstone": 100,
            "m.room.server_acl": 100,
            "m.room.encryption": 100,
        },
        "events_default": 0,
        "state_default": 50,
        "ban": 50,
        "kick": 50,
        "redact": 50,
        "invite": 0,
        "historical": 100,
        "notifications": { "room": 50 },
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
