//! The one rule deciding who may read a file, used by every media path (download, thumbnail)
//! and by event sending (a sender can only link files they may read themselves, so posting a
//! guessed media id into one's own room grants nothing).
//!
//! In order: a quarantined file is readable by no one; the uploader may read it; any account may
//! read a user's profile avatar, or the current avatar of a room; otherwise a user may read it
//! when they can see (history visibility applied, in [`VisibilityCheck`]) an unredacted event
//! that links it. A file that no event links — typically an attachment in an encrypted room,
//! whose reference the server cannot see — is also readable by users who share an encrypted
//! room with the uploader.

use std::fmt;

use rempart_storage::{MediaRecord, Membership, Storage};
use ruma::{OwnedEventId, OwnedRoomId, ServerName, UserId, events::StateEventType, events::TimelineEventType};

use crate::{Result, rooms::visibility::VisibilityCheck};

/// Why a user may read a file; recorded in the audit log with every download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// They uploaded it.
    Uploader,
    /// It is a user's profile avatar.
    ProfileAvatar,
    /// It is the current avatar of a room.
    RoomAvatar(OwnedRoomId),
    /// They can see an event that links it.
    Event(OwnedEventId),
    /// It is linked nowhere and they share an encrypted room with the uploader.
    SharedEncryptedRoom(OwnedRoomId),
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uploader => f.write_str("uploader"),
            Self::ProfileAvatar => f.write_str("profile_avatar"),
            Self::RoomAvatar(room_id) => write!(f, "room_avatar:{room_id}"),
            Self::Event(event_id) => write!(f, "event:{event_id}"),
            Self::SharedEncryptedRoom(room_id) => write!(f, "shared_encrypted_room:{room_id}"),
        }
    }
}

/// The `mxc://` URI of a local file.
pub fn mxc_uri(server_name: &ServerName, media_id: &str) -> String {
    format!("mxc://{server_name}/{media_id}")
}

/// Whether `viewer` may read the file, and why.
pub fn grant(
    store: &dyn Storage,
    server_name: &ServerName,
    viewer: &UserId,
    media: &MediaRecord,
) -> Result<Option<Grant>> {
    if media.quarantined {
        return Ok(None);
    }
    if media.uploader == viewer {
        return Ok(Some(Grant::Uploader));
    }
    if store.is_profile_avatar(&mxc_uri(server_name, &media.media_id))? {
        return Ok(Some(Grant::ProfileAvatar));
    }
    let links = store.media_links(&media.media_id)?;
    let mut visibility = VisibilityCheck::new(store, viewer);
    for link in &links {
        let Some(event) = store.get_event(&link.event_id)? else { continue };
        if event.redacted_by.is_some() {
            continue;
        }
        if event.pdu.kind == TimelineEventType::RoomAvatar
            && store
                .current_state_event(&link.room_id, &StateEventType::RoomAvatar, "")?
                .is_some_and(|current| current.pdu.event_id == event.pdu.event_id)
        {
            return Ok(Some(Grant::RoomAvatar(link.room_id.clone())));
        }
        if visibility.can_see(&event)? {
            return Ok(Some(Grant::Event(event.pdu.event_id.clone())));
        }
    }
    if links.is_empty() {
        return shared_encrypted_room(store, viewer, &media.uploader);
    }
    Ok(None)
}

/// A room both users are joined to that has end-to-end encryption on.
fn shared_encrypted_room(store: &dyn Storage, viewer: &UserId, uploader: &UserId) -> Result<Option<Grant>> {
    for membership in store.user_memberships(viewer)? {
        if membership.membership != Membership::Join {
            continue;
        }
        let room_id = &membership.room_id;
        let uploader_joined = store.membership(room_id, uploader)?.is_some_and(|m| m.membership == Membership::Join);
        if uploader_joined && store.current_state_event(room_id, &StateEventType::RoomEncryption, "")?.is_some() {
            return Ok(Some(Grant::SharedEncryptedRoom(room_id.clone())));
        }
    }
    Ok(None)
}
