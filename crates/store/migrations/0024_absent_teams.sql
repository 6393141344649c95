-- The teams the white cell marked absent (their players never played): their availability is
-- not scored. Marking a team present again deletes its row.
CREATE TABLE absent_teams (
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    team TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    marked_at INTEGER NOT NULL,
    PRIMARY KEY (exercise, team)
);
