-- Leases replace `in_hand`: a job an attempt is under way for is held by one process until a time,
-- so several replicas sharing a PostgreSQL store never run it twice, and one that dies lets go of
-- it when the lease runs out. SQLite has one process, but runs the same statements.
ALTER TABLE jobs ADD COLUMN lease_holder TEXT;                       -- the process holding the job
ALTER TABLE jobs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;  -- fencing token: +1 on every claim
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;                     -- when the lease runs out; NULL = not held
-- The scheduler wakes when a lease runs out, to take over a job whose holder died.
CREATE INDEX jobs_open_leases ON jobs (lease_until)
    WHERE state IN ('pending', 'sending') AND lease_until IS NOT NULL;

-- The flag leases replace. Every job was taken back at start anyway, so one in hand when golive
-- stopped is an attempt of unknown outcome like any other, looked up in Slack before it is sent.
ALTER TABLE jobs DROP COLUMN in_hand;

-- The replicas alive: each renews its row a few times per lease time; a row that ran out is a
-- replica that died (or stalled), whose launches the others may take.
CREATE TABLE replicas (
    holder   TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
);

-- Work only one replica may do at a time (a launch's scheduler pass and rollout step machine):
-- who holds it, and a fencing token that grows with every new holder. A lease holds while its
-- holder's row in `replicas` does, so keeping every lease is one write per beat.
CREATE TABLE leases (
    name     TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    token    INTEGER NOT NULL
);
