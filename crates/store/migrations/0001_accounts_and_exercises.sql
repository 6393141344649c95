-- Who may sign in, and as what. A player belongs to one team; instructors and observers to
-- none (observers see every team). Passwords are argon2id PHC strings, never kept in any
-- other form.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('instructor', 'player', 'observer')),
    team          TEXT,
    created_at    INTEGER NOT NULL,
    CHECK ((role = 'player') = (team IS NOT NULL))
);

-- Signed-in sessions. The cookie carries a random token; only its SHA-256 is kept here, so a
-- copy of the database opens no session. Ending a session is deleting its row.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed sign-ins, for rate limiting by account and by address; in the database so that a
-- restart does not reset the count.
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX login_failures_by_username ON login_failures (username, at);
CREATE INDEX login_failures_by_address ON login_failures (address, at);

-- Exercises: the scenario, the seed and day-1 date of its simulation, and the exercise clock
-- (JSON of atoll_exercise::Clock, written after every change). With the actions teams take,
-- this is what a restarted server rebuilds every team's world from.
CREATE TABLE exercises (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    scenario_path TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    date          TEXT NOT NULL,
    clock         TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
