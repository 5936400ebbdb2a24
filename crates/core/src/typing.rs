//! Typing notifications: ephemeral, kept in memory, each change numbered so sync can tell
//! whether a room's typing list changed since a token.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use ruma::{OwnedRoomId, OwnedUserId, RoomId, UserId};

const MAX_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Default)]
struct RoomTyping {
    users: HashMap<OwnedUserId, Instant>,
    serial: u64,
}

/// Who is typing where.
#[derive(Default)]
pub struct Typing {
    rooms: Mutex<HashMap<OwnedRoomId, RoomTyping>>,
    serial: Mutex<u64>,
}

impl Typing {
    fn next_serial(&self) -> u64 {
        let mut serial = self.serial.lock().unwrap_or_else(|e| e.into_inner());
        *serial += 1;
        *serial
    }

    /// The newest change number.
    pub fn current_serial(&self) -> u64 {
        // Expire stale entries first: an expiry is a change that long-polls wait for, and they
        // decide whether anything changed from this serial alone.
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        for room in rooms.values_mut() {
            let before = room.users.len();
            room.users.retain(|_, until| *until > now);
            if room.users.len() != before {
                room.serial = self.next_serial();
            }
        }
        drop(rooms);
        *self.serial.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts or stops typing. Returns whether anything changed.
    pub fn set(&self, room_id: &RoomId, user_id: &UserId, typing: bool, timeout: Duration) -> bool {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let room = rooms.entry(room_id.to_owned()).or_default();
        let changed = if typing {
            room.users.insert(user_id.to_owned(), Instant::now() + timeout.min(MAX_TIMEOUT)).is_none()
        } else {
            room.users.remove(user_id).is_some()
        };
        if changed || typing {
            room.serial = self.next_serial();
        }
        changed
    }

    /// Users typing in a room now and the change number of the room's list, expiring stale
    /// entries (an expiry counts as a change).
    pub fn typing_in(&self, room_id: &RoomId) -> (Vec<OwnedUserId>, u64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let Some(room) = rooms.get_mut(room_id) else { return (vec![], 0) };
        let now = Instant::now();
        let before = room.users.len();
        room.users.retain(|_, until| *until > now);
        if room.users.len() != before {
            room.serial = self.next_serial();
        }
        let mut users: Vec<_> = room.users.keys().cloned().collect();
        users.sort();
        (users, room.serial)
    }

    /// The earliest pending expiry, so a long-poll can wake to report it.
    pub fn next_expiry(&self) -> Option<Instant> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.values().flat_map(|r| r.users.values()).min().copied()
    }
}
