-- The role holders the plan named when it was last read (JSON: role key → user ids), so that a
-- reloaded plan changes only the roles whose holders the plan itself changed.
ALTER TABLE releases ADD COLUMN plan_roles TEXT;
