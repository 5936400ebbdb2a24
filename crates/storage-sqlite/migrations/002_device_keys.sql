-- End-to-end encryption keys. Key JSON is stored as uploaded (serialised with sorted keys); a
-- device's keys go with the device through ON DELETE CASCADE, so no deletion path can forget
-- them.

-- A device's identity keys (the signed `device_keys` object of /keys/upload).
CREATE TABLE device_keys (
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    json      TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Unclaimed one-time keys. The rowid orders them by upload, so claims hand out the oldest first.
CREATE TABLE one_time_keys (
    id        INTEGER PRIMARY KEY,
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    json      TEXT NOT NULL,
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX one_time_keys_by_device ON one_time_keys (user_id, device_id, algorithm, key_id);

-- At most one fallback key per device and algorithm; `used` is set once it has been claimed.
CREATE TABLE fallback_keys (
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    json      TEXT NOT NULL,
    used      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, device_id, algorithm),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Cross-signing keys; `public_key` is the unpadded base64 ed25519 key, which is also how
-- signatures name their target and signer.
CREATE TABLE cross_signing_keys (
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    key_type   TEXT NOT NULL CHECK (key_type IN ('master', 'self_signing', 'user_signing')),
    public_key TEXT NOT NULL,
    json       TEXT NOT NULL,
    PRIMARY KEY (user_id, key_type)
) WITHOUT ROWID;

-- Signatures uploaded through /keys/signatures/upload, merged into /keys/query results. The
-- target is a device id or a cross-signing public key of target_user_id.
CREATE TABLE key_signatures (
    signer_user_id TEXT NOT NULL,
    signer_key_id  TEXT NOT NULL,
    target_user_id TEXT NOT NULL,
    target_key_id  TEXT NOT NULL,
    signature      TEXT NOT NULL,
    PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
) WITHOUT ROWID;

-- A user's device list changed at a stream position. `visible_to`, when set, limits the change
-- to one user (another user's signature on someone's master key concerns only the signer).
CREATE TABLE device_list_changes (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL,
    stream     INTEGER NOT NULL,
    visible_to TEXT
);
CREATE INDEX device_list_changes_by_stream ON device_list_changes (stream);

-- Sync's device lists look for membership changes in a window of the stream, room by room.
CREATE INDEX memberships_by_room_stream ON memberships (room_id, stream);
