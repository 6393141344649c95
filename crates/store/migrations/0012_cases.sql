-- A team's incident cases. Everything that happens to a case is an entry, in order: notes,
-- linked alerts, indicators and status changes; the case keeps its current status.
CREATE TABLE cases (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX cases_by_team ON cases (exercise, team, id);

CREATE TABLE case_entries (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    kind       TEXT NOT NULL CHECK (kind IN ('note', 'alert', 'indicator', 'status')),
    -- The note; the alert's event row and rule key, one per line; the indicator's kind and
    -- value, one per line; the new status.
    body       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_entries_by_case ON case_entries (case_id, id);
