-- Steps a team detected, as the exercise tells the simulation: an alert raised by one of the
-- step's events marked true positive, or an incident report the white cell credited for the
-- step. Once per team and step, at the exercise time it was first known; replayed into the
-- team's world after a restart so that what depends on it (`detected:` conditions) happens
-- again at the same moment.
CREATE TABLE detections (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    step       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    -- `verdict` or `report`.
    source     TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    UNIQUE (exercise, team, step)
);
