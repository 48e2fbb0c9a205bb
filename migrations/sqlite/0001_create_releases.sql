-- One row per launch this bot runs; everything else hangs off release_id so one bot can run
-- several launches in several channels.
CREATE TABLE releases (
    id          TEXT PRIMARY KEY,       -- the plan's slug, e.g. "summit-4.0.0"
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    channel     TEXT NOT NULL,          -- launch channel as the plan names it
    launch_date TEXT,                   -- YYYY-MM-DD in the plan's zone; NULL while "TBD"
    created_at  INTEGER NOT NULL,       -- every time in this schema is unix milliseconds, UTC
    updated_at  INTEGER NOT NULL
);
