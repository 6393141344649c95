-- Whether the white cell has released the after-action report to the teams (each team then
-- reads its own): held back at first.
ALTER TABLE exercises ADD COLUMN report_released INTEGER NOT NULL DEFAULT 0;

-- Lessons learned and the improvement plan: observations, strengths and areas for improvement
-- per objective, and improvement actions with an owner and a due date. `team` NULL: about the
-- whole exercise (the white cell's); otherwise about that team (the white cell's or the
-- team's own). Removing one deletes its row.
CREATE TABLE lessons (
    id INTEGER PRIMARY KEY,
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    team TEXT,
    -- A scenario objective's id, or '' for the exercise as a whole.
    objective TEXT NOT NULL,
    -- observation, strength, improvement or action.
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    -- For actions: who does it, and by when (YYYY-MM-DD).
    owner TEXT NOT NULL DEFAULT '',
    due TEXT NOT NULL DEFAULT '',
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX lessons_by_team ON lessons (exercise, team, id);
