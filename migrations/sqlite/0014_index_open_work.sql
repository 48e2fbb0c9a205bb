-- With thousands of incidents waiting, the questions asked at every step must not read every row.
-- The earliest retry has its own index (first attempts are found by jobs_open_by_due).
CREATE INDEX jobs_open_retries ON jobs (next_attempt_at)
    WHERE state IN ('pending', 'sending') AND next_attempt_at IS NOT NULL;
-- "Is more than one P0 open?" is asked at every escalation step.
CREATE INDEX incidents_open_p0 ON incidents (release_id) WHERE resolved_at IS NULL AND severity = 'P0';
