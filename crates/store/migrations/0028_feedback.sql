-- The participant feedback form. An anonymous response keeps no user and no team; who has
-- answered is kept apart (`feedback_given`), so that each person answers once either way.
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    role TEXT NOT NULL,
    team TEXT,
    user_id INTEGER REFERENCES users(id),
    -- JSON written by the report crate (`feedback::Answers`).
    answers TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX feedback_by_exercise ON feedback (exercise, id);
CREATE TABLE feedback_given (
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (exercise, user_id)
);
