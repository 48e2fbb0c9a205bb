-- Interactive messages waiting to be rendered again by the replica holding their launch: only
-- that replica updates them, so updates from two replicas cannot land out of order. A replica
-- that changed a message's state asks here and notifies 'golive_refresh' with the launch's id.
-- A row outlives its holder dying; the next holder renders it when it takes the launch.
CREATE TABLE refresh_asks (
    release_id TEXT NOT NULL REFERENCES releases (id),
    target     TEXT NOT NULL,  -- which message, as `workflows::refresh::Target` spells it
    PRIMARY KEY (release_id, target)
);
