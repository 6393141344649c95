-- Everything the white cell did, in the order done: the clock, injects and messages, step
-- changes, grades, rule switches, the scoreboard and people. Append-only: the triggers below
-- refuse to change or remove an entry, so the log can be trusted in the after-action review.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    -- Unix milliseconds, and exercise milliseconds.
    created_at INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    -- What kind of action, e.g. `clock.pause`, `inject.send`, `step.skip`, `grade`.
    action     TEXT NOT NULL,
    -- The team it concerns, if it concerns one.
    team       TEXT,
    -- What was done, in words.
    detail     TEXT NOT NULL
);

CREATE INDEX audit_by_exercise ON audit (exercise, id);

CREATE TRIGGER audit_is_not_changed BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_is_not_removed BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
