-- Team actions (isolate a host, block an address, …), in the order they were taken. The
-- simulation is a pure function of these and the clock, so after a restart every team's world
-- is rebuilt by replaying them; a row is written before the action takes effect.
CREATE TABLE actions (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX actions_by_exercise ON actions (exercise, id);
