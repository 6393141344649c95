-- The teams an observer follows. An observer with no row here follows every team; one with
-- rows sees only those teams' pages (a partner agency's liaison with its own country's team).
CREATE TABLE observer_teams (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team    TEXT NOT NULL,
    PRIMARY KEY (user_id, team)
);
