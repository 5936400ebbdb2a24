-- To-device messages: one queue per recipient device, delivered by sync in stream order and
-- deleted once the device acknowledges them. A send request's messages share one stream
-- position; `id` keeps their order within it. Deleting a device drops its queue.
CREATE TABLE to_device_messages (
    id            INTEGER PRIMARY KEY,
    stream        INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    sender        TEXT NOT NULL,
    sender_device TEXT NOT NULL,
    type          TEXT NOT NULL,
    content       TEXT NOT NULL,
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX to_device_messages_by_device ON to_device_messages (user_id, device_id, stream);

-- Transaction ids of send requests, per sending device, so that a retried request queues
-- nothing twice. They go with the sending device.
CREATE TABLE to_device_txns (
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id    TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
) WITHOUT ROWID;
