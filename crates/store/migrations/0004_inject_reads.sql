-- Read receipts: who of a team opened its inbox after an inject had arrived there. The white
-- cell sees which teams have read what.
CREATE TABLE inject_reads (
    exercise INTEGER NOT NULL REFERENCES exercises (id),
    team     TEXT NOT NULL,
    inject   TEXT NOT NULL,
    user_id  INTEGER NOT NULL REFERENCES users (id),
    read_at  INTEGER NOT NULL,
    PRIMARY KEY (exercise, team, inject, user_id)
);
