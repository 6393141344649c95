-- Each team's figures as its latest after-action report gave them (JSON written by the
-- report crate), kept so that a later exercise's report can set the same nation's results
-- beside its own without rebuilding earlier exercises.
CREATE TABLE results (
    exercise INTEGER NOT NULL REFERENCES exercises(id),
    team TEXT NOT NULL,
    nation TEXT NOT NULL,
    figures TEXT NOT NULL,
    PRIMARY KEY (exercise, team)
);
CREATE INDEX results_by_nation ON results (nation, exercise);
