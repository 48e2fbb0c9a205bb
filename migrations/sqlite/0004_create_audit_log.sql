-- Who did what, when: every state change a person or the scheduler makes.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases (id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,           -- a Slack user id, or "golive" for the scheduler
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_by_release ON audit_log (release_id, at);
