-- Interactive messages waiting to be rendered again by the replica holding their launch: on a
-- shared store only that replica updates them, so updates from two replicas cannot land out of
-- order. A row outlives its holder dying; the next holder renders it when it takes the launch.
-- SQLite has one process, which holds every launch, and never writes here.
CREATE TABLE refresh_asks (
    release_id TEXT NOT NULL REFERENCES releases (id),
    target     TEXT NOT NULL,  -- which message, as `workflows::refresh::Target` spells it
    PRIMARY KEY (release_id, target)
);
