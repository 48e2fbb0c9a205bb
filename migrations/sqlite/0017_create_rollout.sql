-- Running the rollout: each plan step as it stands, every change asked of the flag server
-- (written before the call), what golive last set, and every guard reading.

ALTER TABLE rollout_pauses ADD COLUMN reason TEXT;

CREATE TABLE rollout_steps (
    release_id  TEXT NOT NULL REFERENCES releases (id),
    percent     INTEGER NOT NULL,       -- the step's percentage: its identity in the plan
    state       TEXT NOT NULL,          -- waiting, applying, applied, held, skipped
    change_id   INTEGER,                -- the change that applied it
    by_user     TEXT,                   -- who applied or held it
    at          INTEGER,
    PRIMARY KEY (release_id, percent)
);

CREATE TABLE rollout_changes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id    TEXT NOT NULL REFERENCES releases (id),
    step          INTEGER,              -- the step's percentage, for a step's Apply
    target        TEXT NOT NULL,        -- "25" or "off"
    why           TEXT NOT NULL,        -- step, set, back, kill, guard, runbook
    requested_by  TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',  -- pending, applied, blocked, failed
    read_back     TEXT,                 -- the flag server's reading after the change
    recorded_only INTEGER NOT NULL DEFAULT 0,
    detail        TEXT,                 -- why it was blocked or failed
    done_at       INTEGER
);
CREATE INDEX rollout_changes_open ON rollout_changes (release_id, state);

CREATE TABLE rollout_flags (
    release_id  TEXT PRIMARY KEY REFERENCES releases (id),
    applied     TEXT,                   -- what golive last set: "25" or "off"
    drift_seen  TEXT,                   -- a hand-made change someone chose to go over
    server      TEXT,                   -- the flag server's last reading
    server_at   INTEGER
);

CREATE TABLE guard_readings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id  TEXT NOT NULL REFERENCES releases (id),
    guard       TEXT NOT NULL,
    at          INTEGER NOT NULL,       -- golive's clock
    sampled_at  INTEGER,                -- Prometheus's time of the evaluation
    value       REAL,
    outcome     TEXT NOT NULL,          -- pass, fail, unknown
    detail      TEXT,                   -- why a reading is unknown
    streak      INTEGER NOT NULL,       -- out-of-bounds readings in a row, this one included
    tripped     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX guard_readings_latest ON guard_readings (release_id, guard, id);
