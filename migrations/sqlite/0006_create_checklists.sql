-- Checklists become interactive messages: every confirmation must survive restarts and many
-- people clicking at once, and a click on an old post of a checklist must be told apart from a
-- click on its latest one.

-- Each post of a checklist (scheduled or on demand); the latest one is the live one.
CREATE TABLE checklist_posts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,   -- orders posts made within one clock tick
    release_id TEXT NOT NULL REFERENCES releases (id),
    checklist  TEXT NOT NULL,           -- "l-1", "phase-2", ...
    channel    TEXT NOT NULL,
    ts         TEXT NOT NULL,
    posted_at  INTEGER NOT NULL,
    UNIQUE (channel, ts)
);
CREATE INDEX checklist_posts_latest ON checklist_posts (release_id, checklist, id);

-- A confirmed item has a row; reopening deletes it (the audit log keeps the history). The key
-- makes a second confirmation of the same item a no-op, so concurrent clicks cannot both win.
CREATE TABLE checklist_confirmations (
    release_id   TEXT NOT NULL REFERENCES releases (id),
    checklist    TEXT NOT NULL,
    item         TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at INTEGER NOT NULL,
    PRIMARY KEY (release_id, checklist, item)
);
