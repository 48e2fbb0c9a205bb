-- Everything golive does at a time: posting a milestone today, closing a vote or paging the next
-- escalation level later. A row is written before the work is attempted, so a crash can neither
-- lose the job nor do it twice: 'sending' marks an attempt whose outcome is not yet known.
CREATE TABLE jobs (
    release_id      TEXT NOT NULL REFERENCES releases (id),
    key             TEXT NOT NULL,      -- stable across restarts and launch-date moves
    kind            TEXT NOT NULL,      -- what to do: 'post', ...
    due_at          INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'cancelled')),
    payload         TEXT NOT NULL,      -- JSON the job needs, captured when it was scheduled
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,            -- set after a failed attempt (backoff)
    attempt_started_at INTEGER,
    channel         TEXT,               -- where the post landed, once done
    ts              TEXT,
    done_at         INTEGER,
    last_error      TEXT,
    PRIMARY KEY (release_id, key)
);

-- The scheduler only ever asks "what is the earliest unfinished job?".
CREATE INDEX jobs_open_by_due ON jobs (due_at) WHERE state IN ('pending', 'sending');
