-- The media repository. A row per media id; `sha256` names the blob holding the bytes (shared by
-- identical uploads) and is NULL while an asynchronous upload has reserved the id but not yet
-- sent the content (`expires_ts` is when that reservation lapses).
CREATE TABLE media (
    media_id     TEXT PRIMARY KEY,
    uploader     TEXT NOT NULL,
    created_ts   INTEGER NOT NULL,
    sha256       TEXT,
    size         INTEGER NOT NULL DEFAULT 0,
    content_type TEXT,
    file_name    TEXT,
    expires_ts   INTEGER,
    quarantined  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- Quota sums, a user's file list, and whether a blob is still used.
CREATE INDEX media_by_uploader ON media (uploader, created_ts);
CREATE INDEX media_by_blob ON media (sha256);

-- Which events reference which files: written with the event, read by the access rule.
CREATE TABLE media_links (
    media_id TEXT NOT NULL REFERENCES media (media_id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    room_id  TEXT NOT NULL,
    PRIMARY KEY (media_id, event_id)
) WITHOUT ROWID;

-- Profile avatars are readable by every account: the access rule looks them up by URI.
CREATE INDEX users_by_avatar ON users (avatar_url) WHERE avatar_url IS NOT NULL;
