-- A change notification names the connection's origin too ('<release id><TAB><origin>'), as set
-- by each replica on its connections (`golive.origin`). A replica then skips reading again what
-- it changed itself, which its memory holds already; it still counts the change.
CREATE FUNCTION golive_notify(release TEXT) RETURNS void LANGUAGE sql AS $$
    SELECT pg_notify('golive_changes',
        COALESCE(release, '') || E'\t' || COALESCE(current_setting('golive.origin', true), ''));
$$;

CREATE OR REPLACE FUNCTION golive_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM golive_notify(COALESCE(to_jsonb(NEW), to_jsonb(OLD)) ->> 'release_id');
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION golive_release_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM golive_notify(COALESCE(to_jsonb(NEW), to_jsonb(OLD)) ->> 'id');
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION golive_ballot_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM golive_notify((SELECT release_id FROM votes WHERE id = COALESCE(NEW.vote_id, OLD.vote_id)));
    RETURN NULL;
END
$$;
