-- Incidents raised with `/golive escalate`: where each stands on the escalation ladder. The
-- ladder's waits are rows in `jobs` (kind 'escalation'), so they survive restarts; this table
-- holds only what the domain needs to decide the next step.
CREATE TABLE incidents (
    release_id          TEXT NOT NULL REFERENCES releases (id),
    number              INTEGER NOT NULL,   -- shown as INC-<number>
    severity            TEXT NOT NULL CHECK (severity IN ('P0', 'P1', 'P2')),
    summary             TEXT NOT NULL,
    opened_by           TEXT NOT NULL,
    opened_at           INTEGER NOT NULL,
    level               INTEGER NOT NULL,
    level_since         INTEGER NOT NULL,   -- when it reached `level`; the level's wait starts here
    acked_by            TEXT,
    acked_at            INTEGER,
    customer_impact     INTEGER NOT NULL DEFAULT 0,
    rollback_considered INTEGER NOT NULL DEFAULT 0,
    runbook             TEXT,               -- a contingency key from the plan
    runbook_at          INTEGER,
    hotfix_at           INTEGER,            -- when the hotfix step was confirmed
    resolved_by         TEXT,
    resolved_at         INTEGER,
    resolution_note     TEXT,
    messages            INTEGER NOT NULL DEFAULT 0, -- thread/DM messages queued so far: orders them
    PRIMARY KEY (release_id, number)
);

CREATE INDEX incidents_open ON incidents (release_id) WHERE resolved_at IS NULL;
