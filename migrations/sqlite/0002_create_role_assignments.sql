-- Who holds each role (release-manager, on-call, ...). A role may have several holders.
CREATE TABLE role_assignments (
    release_id  TEXT NOT NULL REFERENCES releases (id),
    role        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (release_id, role, user_id)
);
