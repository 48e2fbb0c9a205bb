-- A job handed to a task of its own (an incident message), for as long as that task runs: the
-- scheduler neither takes it again nor sleeps on it. The flag means "in this process": at start
-- every job is taken back, so one in hand when golive died is retried like any other attempt
-- whose outcome is unknown (looked up in Slack before it is sent again).
ALTER TABLE jobs ADD COLUMN in_hand INTEGER NOT NULL DEFAULT 0 CHECK (in_hand IN (0, 1));
