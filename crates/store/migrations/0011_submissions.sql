-- What teams hand in: answers to the scenario's questions (one per team and question: an
-- answer is final) and incident reports (as many as the team writes). `body` is the form as
-- JSON; `at` the exercise time it was handed in.
CREATE TABLE submissions (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('answer', 'report')),
    -- The question answered; the report's title.
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX submissions_by_team ON submissions (exercise, team, id);
CREATE UNIQUE INDEX one_answer_per_question ON submissions (exercise, team, subject) WHERE kind = 'answer';

-- Instructors' grades of submissions: points per rubric criterion or per expectation (JSON
-- object), with a comment the team reads. A submission graded again keeps its earlier grades;
-- the newest counts.
CREATE TABLE grades (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    points        TEXT NOT NULL,
    comment       TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX grades_by_submission ON grades (submission_id, id);

-- Hints a team opened, once per team and hint, at exercise time `at`.
CREATE TABLE hints_opened (
    id         INTEGER PRIMARY KEY,
    exercise   INTEGER NOT NULL REFERENCES exercises (id),
    team       TEXT NOT NULL,
    hint       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    at         INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (exercise, team, hint)
);
