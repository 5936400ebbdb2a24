-- Session history: every (IP address, user agent) pair each session (user, device) was used
-- from, with when it was first and last seen. There is deliberately no foreign key to devices or
-- users: deleting a device or deactivating the account must keep the history, which is the
-- evidence an investigation needs. Rows are pruned by age (`[sessions] history_days`).
-- An unknown IP address or user agent is stored as '' so that it takes part in the key (NULLs
-- never compare equal).
CREATE TABLE session_history (
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    ip         TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id, ip, user_agent)
) WITHOUT ROWID;

-- Pruning deletes by age.
CREATE INDEX session_history_by_last_seen ON session_history (last_seen);

-- What existing devices last recorded becomes the start of their history.
INSERT INTO session_history (user_id, device_id, ip, user_agent, first_seen, last_seen)
SELECT user_id, device_id, coalesce(last_seen_ip, ''), coalesce(last_seen_user_agent, ''),
       coalesce(last_seen_ts, created_ts), coalesce(last_seen_ts, created_ts)
FROM devices;
