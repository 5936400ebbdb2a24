-- Initial schema. Identifiers are stored as their string forms; timestamps are milliseconds since
-- the epoch; booleans are 0/1.

-- The single global stream position shared by events, account data, receipts and presence: sync
-- tokens are positions in this one sequence.
CREATE TABLE stream_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 0),
    pos INTEGER NOT NULL
);
INSERT INTO stream_counter (id, pos) VALUES (0, 0);

CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active',
    displayname   TEXT,
    avatar_url    TEXT,
    created_ts    INTEGER NOT NULL
);

CREATE TABLE devices (
    user_id              TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id            TEXT NOT NULL,
    display_name         TEXT,
    last_seen_ts         INTEGER,
    last_seen_ip         TEXT,
    last_seen_user_agent TEXT,
    created_ts           INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;

-- Only hashes of tokens are stored. Deleting a device deletes its tokens through the cascade,
-- so no code path can forget to.
CREATE TABLE access_tokens (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_by_device ON access_tokens (user_id, device_id);

CREATE TABLE rooms (
    room_id             TEXT PRIMARY KEY,
    version             TEXT NOT NULL,
    creator             TEXT NOT NULL,
    created_ts          INTEGER NOT NULL,
    published           INTEGER NOT NULL DEFAULT 0,
    -- NULL until the room's first (create) event is stored.
    current_state_group INTEGER REFERENCES state_groups (id)
);

-- A state group is the room state after some state event. A group with a prev_group stores only
-- the entries that differ from it (a delta); one without is a full snapshot. Chains are cut
-- with a snapshot every so often (delta_depth counts the deltas since the last one) so that
-- resolving a group never walks far.
CREATE TABLE state_groups (
    id          INTEGER PRIMARY KEY,
    room_id     TEXT NOT NULL REFERENCES rooms (room_id),
    prev_group  INTEGER REFERENCES state_groups (id),
    delta_depth INTEGER NOT NULL
);

CREATE TABLE state_group_entries (
    group_id  INTEGER NOT NULL REFERENCES state_groups (id),
    type      TEXT NOT NULL,
    state_key TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, type, state_key)
) WITHOUT ROWID;

-- The stream position is the rowid: timeline reads are range scans on (room_id, stream).
CREATE TABLE events (
    stream             INTEGER PRIMARY KEY,
    event_id           TEXT NOT NULL UNIQUE,
    room_id            TEXT NOT NULL REFERENCES rooms (room_id),
    type               TEXT NOT NULL,
    state_key          TEXT,
    sender             TEXT NOT NULL,
    -- Canonical JSON of the signed PDU, or of its redacted form once redacted.
    json               TEXT NOT NULL,
    depth              INTEGER NOT NULL,
    state_group_before INTEGER REFERENCES state_groups (id),
    state_group        INTEGER NOT NULL REFERENCES state_groups (id),
    redacted_by        TEXT,
    txn_device         TEXT,
    txn_id             TEXT
);
CREATE INDEX events_by_room_stream ON events (room_id, stream);
-- Client transaction ids are unique per sending device: a retried send finds the first event.
CREATE UNIQUE INDEX events_by_sender_device_txn ON events (sender, txn_device, txn_id) WHERE txn_id IS NOT NULL;

CREATE TABLE current_state (
    room_id   TEXT NOT NULL REFERENCES rooms (room_id),
    type      TEXT NOT NULL,
    state_key TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    PRIMARY KEY (room_id, type, state_key)
) WITHOUT ROWID;
-- For "which rooms have a public join rule" without scanning every room's state.
CREATE INDEX current_state_by_type ON current_state (type, state_key);

CREATE TABLE memberships (
    room_id    TEXT NOT NULL REFERENCES rooms (room_id),
    user_id    TEXT NOT NULL,
    membership TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    stream     INTEGER NOT NULL,
    forgotten  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE forward_extremities (
    room_id  TEXT NOT NULL REFERENCES rooms (room_id),
    event_id TEXT NOT NULL,
    depth    INTEGER NOT NULL,
    PRIMARY KEY (room_id, event_id)
) WITHOUT ROWID;

CREATE TABLE room_aliases (
    alias   TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms (room_id),
    creator TEXT NOT NULL
);
CREATE INDEX room_aliases_by_room ON room_aliases (room_id);

-- room_id is '' for global account data. content is NULL for a deleted entry: the row stays as
-- a tombstone so that sync can tell clients about the deletion.
CREATE TABLE account_data (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    type    TEXT NOT NULL,
    content TEXT,
    stream  INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id, type)
) WITHOUT ROWID;
CREATE INDEX account_data_by_user_stream ON account_data (user_id, stream);

-- thread_id is '' for an unthreaded receipt.
CREATE TABLE receipts (
    room_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    receipt_type TEXT NOT NULL,
    thread_id    TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    ts           INTEGER NOT NULL,
    stream       INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
) WITHOUT ROWID;
CREATE INDEX receipts_by_room_stream ON receipts (room_id, stream);

CREATE TABLE filters (
    user_id   TEXT NOT NULL,
    filter_id INTEGER NOT NULL,
    json      TEXT NOT NULL,
    PRIMARY KEY (user_id, filter_id)
) WITHOUT ROWID;

CREATE TABLE presence (
    user_id        TEXT PRIMARY KEY,
    presence       TEXT NOT NULL,
    status_msg     TEXT,
    last_active_ts INTEGER NOT NULL,
    stream         INTEGER NOT NULL
);
