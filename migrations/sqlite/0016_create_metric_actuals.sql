-- Success-metric actuals as entered or measured; the newest row of a metric is its actual.
CREATE TABLE metric_actuals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id  TEXT NOT NULL REFERENCES releases (id),
    metric      TEXT NOT NULL,          -- the metric's key, e.g. "api-error-rate-1"
    value       TEXT NOT NULL,          -- as typed, e.g. "0.4%"
    entered_by  TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX metric_actuals_latest ON metric_actuals (release_id, metric, id);
