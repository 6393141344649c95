-- A team's saved hunting searches, by name: saving a name again replaces its query.
CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    UNIQUE (exercise, team, name)
);

-- Sigma rules a team wrote and turned on as live detections, as written: live from exercise
-- time `at` until `off_at` (NULL while on). A rule turned off stays, for the record.
CREATE TABLE team_rules (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    title      TEXT NOT NULL,
    yaml       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    off_at     INTEGER,
    off_by     INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX team_rules_by_team ON team_rules (exercise, team, id);
