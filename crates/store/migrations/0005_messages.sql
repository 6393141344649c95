-- Messages between the white cell and a team: ad-hoc injects written on the spot
-- (`to_team`) and teams' replies (`from_team`). `at` is the exercise time it was sent.
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    direction  TEXT NOT NULL CHECK (direction IN ('to_team', 'from_team')),
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_exercise ON messages (exercise, id);
