-- A team's verdicts on its alerts. An alert is known by the event's row in the team's store
-- and the rule that matched it; both follow from the deterministic simulation, so they name
-- the same alert after a restart. Every change is a new row (the history stays); the latest
-- row of an alert is its state.
CREATE TABLE alert_triage (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    event_row  INTEGER NOT NULL,
    rule       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('new', 'investigating', 'true_positive', 'false_positive')),
    note       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX alert_triage_by_team ON alert_triage (exercise, team, id);
