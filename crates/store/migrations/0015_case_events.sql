-- A case also links events found by hunting (`event`: the event's row in the team's store).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with its rows.
CREATE TABLE case_entries_new (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    kind       TEXT NOT NULL CHECK (kind IN ('note', 'alert', 'event', 'indicator', 'status')),
    -- The note; the alert's event row and rule key, one per line; the event's row; the
    -- indicator's kind and value, one per line; the new status.
    body       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO case_entries_new (id, case_id, kind, body, user_id, at, created_at)
    SELECT id, case_id, kind, body, user_id, at, created_at FROM case_entries;
DROP TABLE case_entries;
ALTER TABLE case_entries_new RENAME TO case_entries;
CREATE INDEX case_entries_by_case ON case_entries (case_id, id);
