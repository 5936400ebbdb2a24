//! Server notices (spec "Server Notices"): messages from the shard to one user, posted by a
//! system account into that user's notices room. The room is created on first use, tagged
//! `m.server_notice` in the user's room tags, kept unencrypted because the server writes the
//! notices itself, and read-only for the user (power levels). The user is invited and joined by
//! the server, so notices arrive in their timeline without any action; a user who leaves gets
//! a new room with the next notice, as in Synapse.
//!
//! New-login notices are built on them: when an account logs in with a device it never had,
//! its owner is told which device, from which IP address and when, so that a hijack is visible
//! to the real owner.

use ruma::{DeviceId, OwnedDeviceId, OwnedEventId, OwnedRoomId, OwnedUserId, UserId, events::TimelineEventType};
use serde_json::{Map, Value, json};

use crate::{
    CoreError, Result, Services,
    account_admin::Actor,
    audit::AuditEvent,
    rooms::{CreateRoomParams, Preset},
};

/// The tag that marks a notices room (spec "Server Notices").
pub const SERVER_NOTICE_TAG: &str = "m.server_notice";

/// The message type of notices.
pub const SERVER_NOTICE_MSGTYPE: &str = "m.server_notice";

/// Name of the notices rooms and display name of the system account.
const NOTICES_NAME: &str = "Server Notices";

/// Power of ordinary members of a notices room: below `events_default` and `invite` (0), so the
/// user can read and leave but neither send nor invite.
const USER_POWER: i64 = -10;

/// State kept by the notices service.
#[derive(Debug, Default)]
pub struct Notices {
    /// Serialises finding or creating a user's notices room, so that two notices sent at once
    /// to a user without a room do not create two rooms.
    room_setup: tokio::sync::Mutex<()>,
}

impl Services {
    /// The system account that sends notices, created on first use without a password (it
    /// cannot log in). An existing account of that name that has a password is a person's
    /// account, and is refused rather than given every user's notices room.
    fn notices_sender(&self) -> Result<OwnedUserId> {
        let localpart = &self.config.notices.sender_localpart;
        let user_id = self.accounts.user_id_for_localpart(localpart)?;
        let existing = match self.store.get_user(&user_id)? {
            Some(user) => Some(user),
            None => match self.accounts.create_user(localpart, None, false) {
                Ok(_) => {
                    self.store.set_displayname(&user_id, Some(NOTICES_NAME))?;
                    None
                }
                // Created by a concurrent notice in the meantime.
                Err(CoreError::UserInUse) => self.store.get_user(&user_id)?,
                Err(error) => return Err(error),
            },
        };
        if let Some(user) = existing {
            if user.password_hash.is_some() {
                return Err(CoreError::BadState(format!(
                    "{user_id} is an account people can log in to; choose another [notices] sender_localpart"
                )));
            }
            if user.status == rempart_storage::AccountStatus::Deactivated {
                return Err(CoreError::BadState(format!("the server notices account {user_id} is deactivated")));
            }
        }
        Ok(user_id)
    }

    /// The user's notices room, with the user joined: the recorded one while the user is still
    /// in it, otherwise a new one.
    async fn notice_room_for(&self, sender: &UserId, user_id: &UserId) -> Result<OwnedRoomId> {
        let _guard = self.notices.room_setup.lock().await;
        if let Some(room_id) = self.store.notice_room(user_id)? {
            match self.store.membership(&room_id, user_id)?.map(|m| m.membership) {
                Some(rempart_storage::Membership::Join) => return Ok(room_id),
                Some(rempart_storage::Membership::Invite) => {
                    self.rooms.join(&room_id, user_id, None).await?;
                    return Ok(room_id);
                }
                _ => {}
            }
        }
        let mut power_levels = Map::new();
        power_levels.insert("users_default".into(), USER_POWER.into());
        let params = CreateRoomParams {
            // The private presets make the room end-to-end encrypted by the platform's policy,
            // and the server cannot encrypt; the public preset adds no encryption, and the
            // join rule below keeps the room closed.
            preset: Some(Preset::PublicChat),
            publish: false,
            name: Some(NOTICES_NAME.into()),
            invite: vec![user_id.to_owned()],
            initial_state: vec![("m.room.join_rules".into(), String::new(), json!({ "join_rule": "invite" }))],
            power_level_content_override: Some(power_levels),
            ..CreateRoomParams::default()
        };
        let room_id = self.rooms.create_room(sender, params).await?;
        self.rooms.join(&room_id, user_id, None).await?;
        self.set_room_tag(user_id, &room_id, SERVER_NOTICE_TAG, json!({ "order": 0.5 }))?;
        self.store.set_notice_room(user_id, &room_id)?;
        Ok(room_id)
    }

    /// Posts a notice to a local user. `txn` makes a retried request post it once.
    async fn post_notice(
        &self,
        user_id: &UserId,
        mut content: Map<String, Value>,
        txn: Option<(OwnedDeviceId, String)>,
    ) -> Result<OwnedEventId> {
        let sender = self.notices_sender()?;
        if let Some((device_id, txn_id)) = &txn
            && let Some(event_id) = self.store.event_for_txn(&sender, device_id, txn_id)?
        {
            return Ok(event_id);
        }
        if user_id.server_name() != self.config.server_name {
            return Err(CoreError::InvalidParam("server notices can only be sent to users of this server".into()));
        }
        let user =
            self.store.get_user(user_id)?.ok_or_else(|| CoreError::NotFound(format!("no such user {user_id}")))?;
        if user.status == rempart_storage::AccountStatus::Deactivated {
            return Err(CoreError::BadState(format!("{user_id} is deactivated")));
        }
        if user_id == sender {
            return Err(CoreError::InvalidParam("the server notices account cannot be sent notices".into()));
        }
        content.entry("msgtype").or_insert_with(|| SERVER_NOTICE_MSGTYPE.into());
        let room_id = self.notice_room_for(&sender, user_id).await?;
        let template = rempart_state::EventTemplate {
            kind: TimelineEventType::RoomMessage,
            content: Value::Object(content),
            state_key: None,
            redacts: None,
        };
        Ok(self.rooms.send_event(&room_id, &sender, template, txn).await?.event_id)
    }

    /// An operator's notice to a user (`content` is the message's content; its `msgtype`
    /// defaults to `m.server_notice`). `txn` is the operator's device and transaction id, so
    /// that a retried request posts the notice once.
    pub async fn send_server_notice(
        &self,
        actor: Actor<'_>,
        user_id: &UserId,
        content: Value,
        txn: Option<(OwnedDeviceId, String)>,
    ) -> Result<OwnedEventId> {
        let Value::Object(content) = content else {
            return Err(CoreError::BadJson("content must be a JSON object".into()));
        };
        if !content.get("body").is_some_and(Value::is_string) {
            return Err(CoreError::BadJson("content must have a string body".into()));
        }
        // Transaction ids are the operator's: scope them to the operator so that two operators
        // using the same id from same-named devices do not collide.
        let txn = txn.map(|(device_id, txn_id)| (device_id, format!("{actor}/{txn_id}")));
        let event_id = self.post_notice(user_id, content, txn).await?;
        self.audit.record(&AuditEvent::AdminAction { actor, action: "server_notice.send", target: user_id.as_str() });
        Ok(event_id)
    }

    /// Whether a login with `device_id` (none: the server picks a new one) would create a
    /// device, when new-login notices are on. Asked before the login, since afterwards the
    /// device exists either way.
    pub fn login_is_new_device(&self, user_id: &UserId, device_id: Option<&DeviceId>) -> bool {
        if !self.config.notices.new_login {
            return false;
        }
        match device_id {
            None => true,
            Some(device_id) => match self.store.get_device(user_id, device_id) {
                Ok(device) => device.is_none(),
                Err(error) => {
                    tracing::warn!(%user_id, %error, "could not tell whether a login creates a device");
                    true
                }
            },
        }
    }

    /// After a successful login that created a device (see [`Self::login_is_new_device`]),
    /// tells the owner: device id and name, time (UTC) and IP address. A failure is logged and
    /// never fails the login.
    pub async fn notify_new_login(&self, user_id: &UserId, device_id: &DeviceId, ip: Option<&str>, new_device: bool) {
        if !new_device || !self.config.notices.new_login {
            return;
        }
        let name = match self.store.get_device(user_id, device_id) {
            Ok(device) => device.and_then(|d| d.display_name),
            Err(_) => None,
        };
        let body = new_login_text(device_id, name.as_deref(), ip, rempart_types::time::now_millis());
        let content = json!({ "msgtype": SERVER_NOTICE_MSGTYPE, "body": body });
        let Value::Object(content) = content else { return };
        if let Err(error) = self.post_notice(user_id, content, None).await {
            tracing::warn!(%user_id, %device_id, %error, "could not post the new-login notice");
        }
    }
}

/// The text of a new-login notice.
fn new_login_text(device_id: &DeviceId, name: Option<&str>, ip: Option<&str>, now_ms: u64) -> String {
    let device = match name {
        Some(name) => format!("{device_id} ({name})"),
        None => device_id.to_string(),
    };
    format!(
        "New login to your account from device {device} at {when}, IP {ip}. If this was not you, sign this \
         device out in your security settings, change your password and tell your administrator.",
        when = utc_minutes(now_ms),
        ip = ip.unwrap_or("unknown"),
    )
}

/// `YYYY-MM-DD HH:MM UTC` for milliseconds since the epoch.
fn utc_minutes(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_date(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// The proleptic Gregorian date `days` after 1970-01-01. Counts in 400-year eras (146 097
/// days each) from 0000-03-01, so that the leap day ends each year of the computation.
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(59), (1970, 3, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29), "a leap day of a century divisible by 400");
        assert_eq!(civil_date(11_017), (2000, 3, 1));
        assert_eq!(civil_date(20_818), (2026, 12, 31));
        assert_eq!(civil_date(20_819), (2027, 1, 1));
        assert_eq!(civil_date(47_541), (2100, 3, 1), "2100 has no leap day");
        assert_eq!(utc_minutes(1_795_977_000_000), "2026-11-29 18:30 UTC");
    }

    #[test]
    fn the_notice_names_device_time_and_ip() {
        let device = OwnedDeviceId::from("ABCDEFGH");
        let text = new_login_text(&device, Some("Element"), Some("203.0.113.7"), 1_795_977_000_000);
        assert!(text.starts_with(
            "New login to your account from device ABCDEFGH (Element) at 2026-11-29 18:30 UTC, IP 203.0.113.7."
        ));
        assert!(
            new_login_text(&device, None, None, 0).contains("device ABCDEFGH at 1970-01-01 00:00 UTC, IP unknown.")
        );
    }
}
