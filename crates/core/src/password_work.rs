//! Runs password hashing off the async workers and a bounded number at a time.
//!
//! An Argon2id hash or check costs tens of milliseconds of CPU and its memory cost in RAM. Run
//! on an async worker it stalls every request queued behind it; run without a bound, a burst of
//! logins (a whole ministry at 9 o'clock) grows memory with the number of people logging in at
//! once. Here hashes run on threads the async runtime has handed its other work away from, at
//! most one per two cores at a time (one on a 2-core machine): a login storm takes at most half
//! the machine and one hash's memory per slot, and messages keep flowing meanwhile.

use std::sync::{Condvar, Mutex};

use tokio::runtime::{Handle, RuntimeFlavor};

/// The gate every password hash and check goes through.
pub struct PasswordWork {
    slots: usize,
    busy: Mutex<usize>,
    freed: Condvar,
}

impl Default for PasswordWork {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from) / 2)
    }
}

impl PasswordWork {
    /// A gate letting `slots` hashes run at once (at least one).
    pub fn new(slots: usize) -> Self {
        Self { slots: slots.max(1), busy: Mutex::new(0), freed: Condvar::new() }
    }

    /// Runs `work` once a slot is free. On a multi-threaded runtime's worker the worker's other
    /// tasks move to another thread first; elsewhere (tests' single-threaded runtimes, the
    /// command line) `work` simply runs here.
    pub fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        let on_worker = Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
        if on_worker { tokio::task::block_in_place(|| self.gated(work)) } else { self.gated(work) }
    }

    fn gated<T>(&self, work: impl FnOnce() -> T) -> T {
        let _slot = self.acquire();
        work()
    }

    fn acquire(&self) -> Slot<'_> {
        // The counter is valid whatever panicked while it was locked.
        let mut busy = self.busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while *busy >= self.slots {
            busy = self.freed.wait(busy).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *busy += 1;
        Slot { gate: self }
    }
}

/// A slot held; freed when dropped, also when the work panicked.
struct Slot<'a> {
    gate: &'a PasswordWork,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut busy = self.gate.busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *busy -= 1;
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    use super::*;

    #[test]
    fn no_more_than_the_slots_run_at_once() {
        let gate = Arc::new(PasswordWork::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(6));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (gate, running, most, start) = (gate.clone(), running.clone(), most.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    gate.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    });
                })
            })
            .collect();
        for thread in threads {
            assert!(thread.join().is_ok());
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_panicking_hash_frees_its_slot() {
        let gate = PasswordWork::new(1);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gate.run(|| panic!("boom"))));
        assert!(outcome.is_err());
        assert_eq!(gate.run(|| 7), 7, "the only slot is free again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_a_multi_threaded_runtime_without_stalling_it() {
        let gate = Arc::new(PasswordWork::new(1));
        let hashing = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(|| std::thread::sleep(Duration::from_millis(50))) }
        });
        // The other worker keeps serving tasks meanwhile.
        let quick = tokio::spawn(async { 1 + 1 });
        assert_eq!(quick.await.ok(), Some(2));
        assert!(hashing.await.is_ok());
    }
}
