-- Incremental syncs ask whether any presence changed since their token before working out
-- whose presence they may see: one index probe instead of a query over every room peer.
CREATE INDEX presence_by_stream ON presence (stream);
