//! The one rule deciding who may read a file, used by every media path (download, thumbnail)
//! and by event sending (a sender can only link files they may read themselves, so posting a
//! guessed media id into one's own room grants nothing).
//!
//! In order: a quarantined file is readable by no one; the uploader may read it; any account may
//! read the uploader's own profile avatar, or the current avatar of a room set by the uploader;
//! otherwise a user may read it
//! when they can see (history visibility applied, in [`VisibilityCheck`]) an unredacted event
//! that links it. A file that no event links — typically an attachment in an encrypted room,
//! whose reference the server cannot see — is also readable by users who share an encrypted
//! room with the uploader.

use std::fmt;

use rempart_storage::{MediaRecord, Membership, Storage, StoredEvent};
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
    // Only the uploader can make a file public, by making it their own avatar or a room's:
    // anyone else naming a file they learned of as an avatar publishes nothing.
    let uri = mxc_uri(server_name, &media.media_id);
    if store.get_user(&media.uploader)?.is_some_and(|uploader| uploader.avatar_url.as_deref() == Some(uri.as_str())) {
        return Ok(Some(Grant::ProfileAvatar));
    }
    let links = store.media_links(&media.media_id)?;
    let mut visibility = VisibilityCheck::new(store, viewer);
    for link in &links {
        let Some(event) = store.get_event(&link.event_id)? else { continue };
        if event.redacted_by.is_some() || is_edit_of_redacted(store, &event)? {
            continue;
        }
        if event.pdu.kind == TimelineEventType::RoomAvatar
            && event.pdu.sender == media.uploader
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

/// Whether an event is an edit (`m.replace`) of an event that was redacted: redacting a post
/// revokes the files its edits carry too.
fn is_edit_of_redacted(store: &dyn Storage, event: &StoredEvent) -> Result<bool> {
    let relates_to = event.pdu.content_value().get("m.relates_to").cloned().unwrap_or_default();
    if relates_to.get("rel_type").and_then(|v| v.as_str()) != Some("m.replace") {
        return Ok(false);
    }
    let Some(original) = relates_to.get("event_id").and_then(|v| v.as_str()) else { return Ok(false) };
    let Ok(original) = ruma::OwnedEventId::try_from(original) else { return Ok(false) };
    Ok(store.get_event(&original)?.is_some_and(|original| original.redacted_by.is_some()))
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
