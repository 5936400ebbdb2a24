-- Server-side room key backup (`/room_keys`).

-- Backup versions, numbered per user from 1. A deleted version keeps its row (with `deleted` set
-- and its keys removed) so that its number is never handed out again.
CREATE TABLE backup_versions (
    user_id   TEXT NOT NULL,
    version   INTEGER NOT NULL CHECK (version > 0),
    algorithm TEXT NOT NULL,
    auth_data TEXT NOT NULL,
    -- Advances whenever the version's keys change.
    etag      INTEGER NOT NULL DEFAULT 0,
    deleted   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, version)
) WITHOUT ROWID;

-- One key per session and version; `session_data` is the client's encrypted JSON, opaque here.
CREATE TABLE backup_keys (
    user_id             TEXT NOT NULL,
    version             INTEGER NOT NULL,
    room_id             TEXT NOT NULL,
    session_id          TEXT NOT NULL,
    first_message_index INTEGER NOT NULL,
    forwarded_count     INTEGER NOT NULL,
    is_verified         INTEGER NOT NULL,
    session_data        TEXT NOT NULL,
    PRIMARY KEY (user_id, version, room_id, session_id),
    FOREIGN KEY (user_id, version) REFERENCES backup_versions (user_id, version)
) WITHOUT ROWID;
