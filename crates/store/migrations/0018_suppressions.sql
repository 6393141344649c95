-- A team's suppressions: a rule's alerts (optionally only those whose event has given field
-- values, such as a host or an Image) taken out of the queue, with the reason. Nothing is
-- deleted: suppressed alerts are counted, shown on request, and scored (a suppression that
-- hides a campaign step's alerts costs points). Ending one brings its alerts back.
CREATE TABLE suppressions (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    rule       TEXT NOT NULL,
    -- JSON list of [field, value] pairs, every one of which the alert's event must have.
    conditions TEXT NOT NULL,
    reason     TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at   INTEGER,
    ended_by   INTEGER REFERENCES users (id)
);
CREATE INDEX suppressions_by_team ON suppressions (exercise, team);
