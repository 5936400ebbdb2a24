//! Shutting a room down: optionally block its id for good, unlist it, remove its local aliases,
//! make every local member leave, then optionally purge everything stored about it in one
//! transaction. Synapse runs this in the background and reports progress under a delete id;
//! Rempart does the work before answering and keeps the outcome in memory under such an id
//! for a day, so that tools polling for the status get it.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use rempart_storage::Membership;
use rempart_types::time::now_millis;
use ruma::{OwnedRoomAliasId, OwnedRoomId, OwnedUserId, RoomId};

use crate::{CoreError, Result, Services, account_admin::Actor, audit::AuditEvent};

/// How long outcomes stay queryable, as in Synapse.
const KEEP_OUTCOMES: Duration = Duration::from_secs(24 * 60 * 60);

/// What an operator asks of a shutdown.
#[derive(Debug, Clone)]
pub struct DeleteRoomParams {
    /// Refuse joins, invites and knocks to the room id forever.
    pub block: bool,
    /// Delete everything stored about the room once its members are out.
    pub purge: bool,
    /// Purge even when some members could not be removed.
    pub force_purge: bool,
    /// Given as the reason of the members' leave events.
    pub message: Option<String>,
}

impl Default for DeleteRoomParams {
    fn default() -> Self {
        Self { block: false, purge: true, force_purge: false, message: None }
    }
}

/// What a shutdown did to the room's members and aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Local members who left the room.
    pub kicked_users: Vec<OwnedUserId>,
    /// Local members whose leave could not be sent.
    pub failed_to_kick_users: Vec<OwnedUserId>,
    /// The local aliases removed.
    pub local_aliases: Vec<OwnedRoomAliasId>,
}

/// How a deletion ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletionStatus {
    /// Everything asked for was done.
    Complete,
    /// It stopped; the message says why.
    Failed(String),
}

/// One deletion's outcome.
#[derive(Debug, Clone)]
pub struct Deletion {
    /// Its id.
    pub delete_id: String,
    /// The room.
    pub room_id: OwnedRoomId,
    /// How it ended.
    pub status: DeletionStatus,
    /// What happened to members and aliases.
    pub report: ShutdownReport,
    finished: Instant,
}

/// Outcomes of recent deletions, in memory (lost on restart, as in Synapse).
#[derive(Debug, Default)]
pub struct RoomDeletions {
    recent: Mutex<Vec<Deletion>>,
}

impl RoomDeletions {
    fn remember(&self, deletion: Deletion) {
        let mut recent = self.recent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        recent.retain(|d| d.finished.elapsed() < KEEP_OUTCOMES);
        recent.push(deletion);
    }

    /// The outcome of one deletion.
    pub fn by_id(&self, delete_id: &str) -> Option<Deletion> {
        let recent = self.recent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        recent.iter().find(|d| d.delete_id == delete_id && d.finished.elapsed() < KEEP_OUTCOMES).cloned()
    }

    /// The outcomes of the recent deletions of a room, oldest first.
    pub fn for_room(&self, room_id: &RoomId) -> Vec<Deletion> {
        let recent = self.recent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        recent.iter().filter(|d| d.room_id == room_id && d.finished.elapsed() < KEEP_OUTCOMES).cloned().collect()
    }
}

impl Services {
    /// Shuts a room down as `params` asks and returns the outcome, also kept in
    /// [`Services::room_deletions`]. An unknown room can still be blocked (nothing else
    /// happens); without `block` it is `M_NOT_FOUND`.
    pub async fn delete_room(&self, actor: Actor<'_>, room_id: &RoomId, params: &DeleteRoomParams) -> Result<Deletion> {
        let known = self.store.get_room(room_id)?.is_some();
        if !known && !params.block {
            return Err(CoreError::NotFound(format!("room {room_id} not found")));
        }
        let record =
            |action: &str| self.audit.record(&AuditEvent::AdminAction { actor, action, target: room_id.as_str() });
        if params.block {
            // First, so that nobody joins while the members are being removed.
            self.store.block_room(room_id, actor, now_millis())?;
            record("room.block");
        }
        let mut report = ShutdownReport::default();
        let mut status = DeletionStatus::Complete;
        if known {
            record("room.shutdown");
            report = self.shut_down(room_id, params.message.as_deref()).await?;
            if params.purge {
                if report.failed_to_kick_users.is_empty() || params.force_purge {
                    self.store.purge_room(room_id)?;
                    self.notifier.notify();
                    record("room.purge");
                } else {
                    status = DeletionStatus::Failed(format!(
                        "{} local members could not be removed; the room was not purged (force_purge overrides)",
                        report.failed_to_kick_users.len()
                    ));
                }
            }
        }
        let deletion = Deletion {
            delete_id: crate::accounts::random_token().chars().filter(char::is_ascii_alphanumeric).take(16).collect(),
            room_id: room_id.to_owned(),
            status,
            report,
            finished: Instant::now(),
        };
        self.room_deletions.remember(deletion.clone());
        Ok(deletion)
    }

    /// Unlists the room, removes its local aliases and makes every local member leave (leave
    /// events sent as each member, which needs no power; withdrawing invites and knocks too).
    async fn shut_down(&self, room_id: &RoomId, reason: Option<&str>) -> Result<ShutdownReport> {
        let mut report = ShutdownReport::default();
        self.store.set_room_published(room_id, false)?;
        for alias in self.store.room_aliases(room_id)? {
            if self.store.delete_alias(&alias)? {
                report.local_aliases.push(alias);
            }
        }
        for member in self.store.room_memberships(room_id)? {
            let present = matches!(member.membership, Membership::Join | Membership::Invite | Membership::Knock);
            if !present || member.user_id.server_name() != self.config.server_name {
                continue;
            }
            match self.rooms.leave(room_id, &member.user_id, reason).await {
                Ok(()) => report.kicked_users.push(member.user_id),
                Err(error) => {
                    tracing::warn!(%room_id, user_id = %member.user_id, %error, "could not remove a member during shutdown");
                    report.failed_to_kick_users.push(member.user_id);
                }
            }
        }
        Ok(report)
    }
}
