-- Rooms an operator blocked: joins, invites and knocks are refused for good. No reference to
-- `rooms`, because a block outlives the purge of the room and may name a room never seen here.
CREATE TABLE room_blocks (
    room_id    TEXT PRIMARY KEY,
    blocked_by TEXT NOT NULL,
    blocked_ts INTEGER NOT NULL
) WITHOUT ROWID;

-- Each user's server notices room, so that later notices go to the same room.
CREATE TABLE server_notice_rooms (
    user_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms (room_id)
) WITHOUT ROWID;
CREATE INDEX server_notice_rooms_by_room ON server_notice_rooms (room_id);

-- Purging a room finds its state groups and media links by room.
CREATE INDEX state_groups_by_room ON state_groups (room_id);
CREATE INDEX media_links_by_room ON media_links (room_id);
