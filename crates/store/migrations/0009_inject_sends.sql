-- Scenario injects an instructor sent to a team by hand, at exercise time `at` (before their
-- planned time, or injects that wait for a condition the white cell judged met). Once per
-- team and inject.
CREATE TABLE inject_sends (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    inject     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    UNIQUE (exercise, team, inject)
);
