//! Wakes long-polling syncs when anything they might deliver changes.

use tokio::sync::watch;

/// A counter bumped after every write that sync can deliver; waiters compare it to what they
/// saw last.
pub struct Notifier {
    sender: watch::Sender<u64>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self { sender: watch::channel(0).0 }
    }
}

impl Notifier {
    /// Signals that something changed.
    pub fn notify(&self) {
        self.sender.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver to wait on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.sender.subscribe()
    }
}
