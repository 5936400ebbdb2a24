//! Read receipts (`m.read`, `m.read.private`, optionally per thread) and the fully-read marker
//! (`m.fully_read`, kept as room account data). Only members of a room may mark it read, only
//! at an event they can see, and markers only move forwards, as in Synapse. Private receipts are
//! stored like public ones; sync shows them only to their owner.

use rempart_storage::{Membership, ReceiptRecord};
use rempart_types::time::now_millis;
use ruma::{EventId, RoomId, UserId};
use serde_json::json;

use crate::{CoreError, Result, Services};

/// `m.read`.
pub const READ: &str = "m.read";
/// `m.read.private`.
pub const READ_PRIVATE: &str = "m.read.private";
/// `m.fully_read`.
pub const FULLY_READ: &str = "m.fully_read";

/// The receipt thread for the main timeline.
pub const MAIN_THREAD: &str = "main";

impl Services {
    fn ensure_joined(&self, user_id: &UserId, room_id: &RoomId) -> Result<()> {
        match self.store.membership(room_id, user_id)? {
            Some(record) if record.membership == Membership::Join => Ok(()),
            _ => Err(CoreError::Forbidden("you are not joined to this room".into())),
        }
    }

    /// The stream position of an event the user may see in the room (`M_NOT_FOUND` otherwise).
    fn visible_event_stream(&self, user_id: &UserId, room_id: &RoomId, event_id: &EventId) -> Result<i64> {
        Ok(self.rooms.event_for_user(user_id, room_id, event_id)?.stream)
    }

    /// Records a receipt of `receipt_type` at `event_id`. `thread_id` is `None` for an
    /// unthreaded receipt, `"main"` or a thread root's event id otherwise. `m.fully_read` moves
    /// the read marker and may not be threaded.
    pub fn set_receipt(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        receipt_type: &str,
        event_id: &EventId,
        thread_id: Option<&str>,
    ) -> Result<()> {
        if let Some(thread) = thread_id
            && thread != MAIN_THREAD
            && !(thread.starts_with('$') && EventId::parse(thread).is_ok())
        {
            return Err(CoreError::InvalidParam("thread_id must be \"main\" or an event id".into()));
        }
        match receipt_type {
            FULLY_READ if thread_id.is_some() => Err(CoreError::InvalidParam("m.fully_read cannot be threaded".into())),
            FULLY_READ => self.set_read_markers(user_id, room_id, Some(event_id), None, None),
            READ | READ_PRIVATE => {
                self.ensure_joined(user_id, room_id)?;
                let stream = self.visible_event_stream(user_id, room_id, event_id)?;
                if self.write_receipt(user_id, room_id, receipt_type, event_id, stream, thread_id)? {
                    self.notifier.notify();
                }
                Ok(())
            }
            other => Err(CoreError::InvalidParam(format!("unknown receipt type {other}"))),
        }
    }

    /// `POST /read_markers`: moves the fully-read marker and the public and private read
    /// receipts (all unthreaded) in one call.
    pub fn set_read_markers(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        fully_read: Option<&EventId>,
        read: Option<&EventId>,
        read_private: Option<&EventId>,
    ) -> Result<()> {
        self.ensure_joined(user_id, room_id)?;
        // Check every event first, so that one bad id writes nothing.
        let fully_read =
            fully_read.map(|id| self.visible_event_stream(user_id, room_id, id).map(|s| (id, s))).transpose()?;
        let read = read.map(|id| self.visible_event_stream(user_id, room_id, id).map(|s| (id, s))).transpose()?;
        let read_private =
            read_private.map(|id| self.visible_event_stream(user_id, room_id, id).map(|s| (id, s))).transpose()?;

        let mut changed = false;
        if let Some((event_id, stream)) = fully_read {
            let current = self.store.get_account_data(user_id, Some(room_id), FULLY_READ)?;
            let current_stream = match current.as_ref().and_then(|c| c.get("event_id")).and_then(|id| id.as_str()) {
                Some(id) => {
                    EventId::parse(id).ok().and_then(|id| self.store.get_event(&id).ok().flatten()).map(|e| e.stream)
                }
                None => None,
            };
            if current_stream.is_none_or(|current| stream > current) {
                self.store.put_account_data(user_id, Some(room_id), FULLY_READ, &json!({ "event_id": event_id }))?;
                changed = true;
            }
        }
        for (receipt_type, target) in [(READ, read), (READ_PRIVATE, read_private)] {
            if let Some((event_id, stream)) = target {
                changed |= self.write_receipt(user_id, room_id, receipt_type, event_id, stream, None)?;
            }
        }
        if changed {
            self.notifier.notify();
        }
        Ok(())
    }

    /// Stores a receipt unless the user already has one of this type and thread at a later
    /// event. Returns whether it was stored.
    fn write_receipt(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        receipt_type: &str,
        event_id: &EventId,
        stream: i64,
        thread_id: Option<&str>,
    ) -> Result<bool> {
        let existing =
            self.store.receipts_since(room_id, 0)?.into_iter().find(|r| {
                r.user_id == user_id && r.receipt_type == receipt_type && r.thread_id.as_deref() == thread_id
            });
        if let Some(existing) = existing {
            if existing.event_id == event_id {
                return Ok(false);
            }
            if let Some(previous) = self.store.get_event(&existing.event_id)?
                && previous.stream > stream
            {
                return Ok(false);
            }
        }
        self.store.put_receipt(&ReceiptRecord {
            room_id: room_id.to_owned(),
            user_id: user_id.to_owned(),
            receipt_type: receipt_type.to_owned(),
            thread_id: thread_id.map(ToOwned::to_owned),
            event_id: event_id.to_owned(),
            ts: now_millis(),
            stream: 0,
        })?;
        Ok(true)
    }

    /// The stream position of the newest event the user has marked read in the room's main
    /// timeline (unthreaded or `main` receipts, public or private), if any.
    pub fn read_up_to(&self, user_id: &UserId, room_id: &RoomId) -> Result<Option<i64>> {
        let mut newest = None;
        for receipt in self.store.receipts_since(room_id, 0)? {
            let main_timeline = receipt.thread_id.as_deref().is_none_or(|t| t == MAIN_THREAD);
            if receipt.user_id != user_id
                || !main_timeline
                || !matches!(receipt.receipt_type.as_str(), READ | READ_PRIVATE)
            {
                continue;
            }
            if let Some(event) = self.store.get_event(&receipt.event_id)? {
                newest = newest.max(Some(event.stream));
            }
        }
        Ok(newest)
    }
}
