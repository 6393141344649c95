-- The white cell's changes to which detection rules raise alerts while an exercise runs: a
-- rule (by id) turned on or off from an exercise time, for every team. Replayed at start-up,
-- like team actions, so a restarted server raises the same alerts.
CREATE TABLE rule_switches (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    rule       TEXT NOT NULL,
    turned_on  INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX rule_switches_by_exercise ON rule_switches (exercise, id);
