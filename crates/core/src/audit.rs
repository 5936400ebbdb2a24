//! The audit hook: every access worth knowing about afterwards (a file downloaded, an operator's
//! action) is reported to one [`AuditSink`], so that "which sessions reached what" is answered
//! from one place. Records name who, which object, how much and why it was allowed; never
//! message bodies, file contents or secrets.
//!
//! Today's sink writes structured `tracing` events under the `rempart::audit` target; the audit
//! log issue replaces it with a tamper-evident store behind the same trait.

use ruma::{DeviceId, UserId};

use crate::media::Grant;

/// One access to record.
#[derive(Debug)]
pub enum AuditEvent<'a> {
    /// A file (or a thumbnail of it) was served.
    MediaRead {
        /// The account.
        user_id: &'a UserId,
        /// The session.
        device_id: &'a DeviceId,
        /// The file.
        media_id: &'a str,
        /// Bytes sent.
        bytes: u64,
        /// Which rule allowed it.
        grant: &'a Grant,
        /// A thumbnail rather than the file itself.
        thumbnail: bool,
    },
    /// An operator acted through the admin API or the CLI.
    AdminAction {
        /// The admin's user id, or `cli` for the command line.
        actor: &'a str,
        /// What was done (`media.quarantine`, `media.delete`, ...).
        action: &'a str,
        /// On what.
        target: &'a str,
    },
}

/// Where audit events go.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one event. Must not fail the request it describes.
    fn record(&self, event: &AuditEvent<'_>);
}

/// Writes audit events to the log, under the `rempart::audit` target.
#[derive(Debug, Default)]
pub struct LogAudit;

impl AuditSink for LogAudit {
    fn record(&self, event: &AuditEvent<'_>) {
        match event {
            AuditEvent::MediaRead { user_id, device_id, media_id, bytes, grant, thumbnail } => tracing::info!(
                target: "rempart::audit",
                user_id = %user_id, device_id = %device_id, media_id, bytes, grant = %grant, thumbnail,
                "media read"
            ),
            AuditEvent::AdminAction { actor, action, target } => {
                tracing::info!(target: "rempart::audit", actor, action, target, "admin action");
            }
        }
    }
}
