//! Membership changes: join, invite, leave, kick, ban, unban, knock, and propagating profile
//! changes into the member events of every joined room. The room's authorization rules decide;
//! this module only checks what the rules cannot know (that an invitee exists, for one).

use rempart_state::EventTemplate;
use rempart_storage::Membership;
use ruma::{OwnedRoomId, RoomId, UserId, events::TimelineEventType};
use serde_json::{Value, json};

use super::{Rooms, Sent};
use crate::{CoreError, Result};

impl Rooms {
    fn member_template(
        &self,
        target: &UserId,
        membership: &str,
        reason: Option<&str>,
        with_profile: bool,
    ) -> Result<EventTemplate> {
        let mut content = json!({ "membership": membership });
        if let Some(reason) = reason {
            content["reason"] = reason.into();
        }
        if with_profile && let Some(user) = self.store.get_user(target)? {
            if let Some(name) = user.displayname {
                content["displayname"] = name.into();
            }
            if let Some(avatar) = user.avatar_url {
                content["avatar_url"] = avatar.into();
            }
        }
        Ok(EventTemplate {
            kind: TimelineEventType::RoomMember,
            content,
            state_key: Some(target.to_string()),
            redacts: None,
        })
    }

    /// Refuses joins, invites and knocks to a room an operator blocked, whether or not the
    /// room still exists here: a blocked room never gains a member again.
    fn ensure_not_blocked(&self, room_id: &RoomId) -> Result<()> {
        if self.store.is_room_blocked(room_id)? {
            return Err(CoreError::Forbidden("this room has been blocked by the server administrators".into()));
        }
        Ok(())
    }

    /// The block, for member events sent by any path (`/join`, `/invite`, `/knock`, or a member
    /// event put directly as state).
    pub(super) fn ensure_membership_allowed(&self, room_id: &RoomId, template: &EventTemplate) -> Result<()> {
        if template.kind != TimelineEventType::RoomMember {
            return Ok(());
        }
        match template.content.get("membership").and_then(Value::as_str) {
            Some("join" | "invite" | "knock") => self.ensure_not_blocked(room_id),
            _ => Ok(()),
        }
    }

    fn ensure_local_user_exists(&self, user_id: &UserId) -> Result<()> {
        if user_id.server_name() != self.config.server_name || self.store.get_user(user_id)?.is_none() {
            return Err(CoreError::NotFound(format!("user {user_id} does not exist")));
        }
        Ok(())
    }

    /// Joins a room this shard hosts. The authorization rules refuse joins that the join rule
    /// does not allow; a room the user cannot know about looks the same as a missing one.
    pub async fn join(&self, room_id: &RoomId, user_id: &UserId, reason: Option<&str>) -> Result<OwnedRoomId> {
        self.ensure_not_blocked(room_id)?;
        if self.store.get_room(room_id)?.is_none() {
            return Err(CoreError::NotFound("room not found".into()));
        }
        if let Some(current) = self.store.membership(room_id, user_id)?
            && current.membership == Membership::Join
        {
            return Ok(room_id.to_owned());
        }
        let template = self.member_template(user_id, "join", reason, true)?;
        self.send_event(room_id, user_id, template, None)
            .await
            .map_err(forbidden_as("you are not allowed to join this room"))?;
        Ok(room_id.to_owned())
    }

    /// Invites a local user.
    pub async fn invite(
        &self,
        room_id: &RoomId,
        sender: &UserId,
        target: &UserId,
        reason: Option<&str>,
        is_direct: bool,
    ) -> Result<Sent> {
        self.ensure_not_blocked(room_id)?;
        // Only members may learn whether an account exists through an invite.
        if self.store.membership(room_id, sender)?.map(|m| m.membership) != Some(Membership::Join) {
            self.room(room_id)?;
            return Err(CoreError::Forbidden("you are not in this room".into()));
        }
        self.ensure_local_user_exists(target)?;
        let mut template = self.member_template(target, "invite", reason, true)?;
        if is_direct {
            template.content["is_direct"] = Value::Bool(true);
        }
        self.send_event(room_id, sender, template, None).await
    }

    /// Leaves a room, or rejects an invite, or withdraws a knock.
    pub async fn leave(&self, room_id: &RoomId, user_id: &UserId, reason: Option<&str>) -> Result<()> {
        match self.store.membership(room_id, user_id)? {
            Some(m) if matches!(m.membership, Membership::Join | Membership::Invite | Membership::Knock) => {}
            // Leaving a room one is not in is a no-op, as in Synapse, unless the room is unknown.
            Some(_) => return Ok(()),
            None => return Err(CoreError::NotFound("you are not a member of this room".into())),
        }
        let template = self.member_template(user_id, "leave", reason, false)?;
        self.send_event(room_id, user_id, template, None).await?;
        Ok(())
    }

    /// Kicks a member.
    pub async fn kick(&self, room_id: &RoomId, sender: &UserId, target: &UserId, reason: Option<&str>) -> Result<Sent> {
        match self.store.membership(room_id, target)? {
            Some(m) if matches!(m.membership, Membership::Join | Membership::Invite | Membership::Knock) => {}
            _ => return Err(CoreError::Forbidden(format!("{target} is not in the room"))),
        }
        let template = self.member_template(target, "leave", reason, false)?;
        self.send_event(room_id, sender, template, None).await
    }

    /// Bans a user (who need not be a member).
    pub async fn ban(&self, room_id: &RoomId, sender: &UserId, target: &UserId, reason: Option<&str>) -> Result<Sent> {
        let template = self.member_template(target, "ban", reason, false)?;
        self.send_event(room_id, sender, template, None).await
    }

    /// Lifts a ban.
    pub async fn unban(
        &self,
        room_id: &RoomId,
        sender: &UserId,
        target: &UserId,
        reason: Option<&str>,
    ) -> Result<Sent> {
        match self.store.membership(room_id, target)? {
            Some(m) if m.membership == Membership::Ban => {}
            _ => return Err(CoreError::Forbidden(format!("{target} is not banned"))),
        }
        let template = self.member_template(target, "leave", reason, false)?;
        self.send_event(room_id, sender, template, None).await
    }

    /// Knocks on a room whose join rule allows it.
    pub async fn knock(&self, room_id: &RoomId, user_id: &UserId, reason: Option<&str>) -> Result<OwnedRoomId> {
        self.ensure_not_blocked(room_id)?;
        if self.store.get_room(room_id)?.is_none() {
            return Err(CoreError::NotFound("room not found".into()));
        }
        let template = self.member_template(user_id, "knock", reason, true)?;
        self.send_event(room_id, user_id, template, None)
            .await
            .map_err(forbidden_as("you cannot knock on this room"))?;
        Ok(room_id.to_owned())
    }

    /// Forgets a room the user has left.
    pub fn forget(&self, room_id: &RoomId, user_id: &UserId) -> Result<()> {
        match self.store.membership(room_id, user_id)? {
            Some(m) if matches!(m.membership, Membership::Join | Membership::Invite | Membership::Knock) => {
                Err(CoreError::BadState("leave the room before forgetting it".into()))
            }
            Some(_) => Ok(self.store.forget_room(room_id, user_id)?),
            None => Err(CoreError::NotFound("you have never been in this room".into())),
        }
    }

    /// Re-sends the user's member event in every joined room after a profile change.
    pub async fn propagate_profile(&self, user_id: &UserId) -> Result<()> {
        for membership in self.store.user_memberships(user_id)? {
            if membership.membership != Membership::Join {
                continue;
            }
            let template = self.member_template(user_id, "join", None, true)?;
            if let Err(error) = self.send_event(&membership.room_id, user_id, template, None).await {
                tracing::warn!(room_id = %membership.room_id, %error, "could not update member event after profile change");
            }
        }
        Ok(())
    }
}

fn forbidden_as(message: &'static str) -> impl Fn(CoreError) -> CoreError {
    move |error| match error {
        CoreError::Forbidden(reason) => CoreError::Forbidden(format!("{message}: {reason}")),
        other => other,
    }
}
