-- The go/no-go vote: who may vote, each voter's current ballot and the recorded decision, which
-- gates production deployment on launch day.
CREATE TABLE votes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases (id),
    state      TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    voters     TEXT NOT NULL,           -- JSON [{"user": "U…", "roles": ["qa-lead"]}], fixed at open time
    rule       TEXT NOT NULL,
    deadline   INTEGER NOT NULL,
    opened_by  TEXT NOT NULL,
    opened_at  INTEGER NOT NULL,
    channel    TEXT,                    -- the vote's message, once posted
    ts         TEXT,
    decision   TEXT CHECK (decision IN ('go', 'no-go')),
    closed_by  TEXT,
    closed_at  INTEGER,
    -- A closed vote has a decision and an open one has none.
    CHECK ((state = 'open') = (decision IS NULL))
);
-- At most one vote of a release takes ballots at a time.
CREATE UNIQUE INDEX votes_one_open_per_release ON votes (release_id) WHERE state = 'open';

-- One ballot per voter and vote: a changed vote overwrites it (upsert), so concurrent clicks
-- never count twice. A No-Go carries its reason.
CREATE TABLE ballots (
    vote_id INTEGER NOT NULL REFERENCES votes (id),
    voter   TEXT NOT NULL,
    choice  TEXT NOT NULL CHECK (choice IN ('go', 'no-go')),
    reason  TEXT,
    cast_at INTEGER NOT NULL,
    PRIMARY KEY (vote_id, voter),
    CHECK (choice = 'go' OR length(trim(reason)) > 0)
);
