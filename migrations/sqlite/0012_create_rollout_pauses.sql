-- A rollout pause recorded by a runbook step ("pause rollout"); `/golive status` shows it until
-- someone resumes the rollout.
CREATE TABLE rollout_pauses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id  TEXT NOT NULL REFERENCES releases (id),
    incident    INTEGER,
    paused_by   TEXT NOT NULL,
    paused_at   INTEGER NOT NULL,
    resumed_by  TEXT,
    resumed_at  INTEGER
);
