-- Steps of a contingency runbook confirmed in an incident's thread: one row per confirmed step,
-- so a double click confirms once.
CREATE TABLE runbook_steps (
    release_id  TEXT NOT NULL,
    incident    INTEGER NOT NULL,
    step        INTEGER NOT NULL,           -- 0-based index into the contingency's steps
    done_by     TEXT NOT NULL,
    done_at     INTEGER NOT NULL,
    PRIMARY KEY (release_id, incident, step),
    FOREIGN KEY (release_id, incident) REFERENCES incidents (release_id, number)
);
