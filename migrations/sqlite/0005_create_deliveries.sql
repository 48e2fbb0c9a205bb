-- Slack delivers an event again when it did not see our answer in time; the first delivery of
-- each id wins and the rest are acknowledged and dropped.
CREATE TABLE deliveries (
    id          TEXT PRIMARY KEY,       -- event_id, or a hash of the interaction payload
    received_at INTEGER NOT NULL
);
